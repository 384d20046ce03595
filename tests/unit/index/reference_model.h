// The reference the index tests compare against: vectors, reader sets and brute-force search
// in double precision, with ties broken by (owner name, id) as the index does.
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "index/types.h"

namespace arbor::index::reference {

struct Model {
  std::map<std::pair<TenantId, VectorId>, std::vector<float>> vectors;
  std::map<std::pair<TenantId, VectorId>, std::set<TenantId>> readers;
  std::map<TenantId, std::string> names;

  std::vector<std::tuple<double, std::string, VectorId>> BruteForce(
      TenantId tenant, const std::vector<float>& q, size_t k) const {
    std::vector<std::tuple<double, std::string, VectorId>> all;
    for (const auto& [key, vec] : vectors) {
      if (!readers.at(key).contains(tenant)) continue;
      double d = 0;
      for (size_t i = 0; i < q.size(); ++i) d += (double(q[i]) - vec[i]) * (double(q[i]) - vec[i]);
      all.emplace_back(d, names.at(key.first), key.second);
    }
    std::sort(all.begin(), all.end());
    if (all.size() > k) all.resize(k);
    return all;
  }
};

}  // namespace arbor::index::reference

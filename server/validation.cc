#include "server/validation.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "index/curator_index.h"

namespace arbor::server {
namespace {

bool IsNameChar(char c) {
  return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_' || c == '-' || c == '.';
}

std::string Printable(char c) {
  if (absl::ascii_isprint(static_cast<unsigned char>(c))) return absl::StrCat("'", std::string(1, c), "'");
  return absl::StrCat("byte 0x", absl::Hex(static_cast<unsigned char>(c)));
}

}  // namespace

absl::Status ValidateName(absl::string_view field, absl::string_view name) {
  if (name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is empty; names have 1 to ",
                                                   kMaxNameLength, " characters"));
  }
  if (name.size() > kMaxNameLength) {
    return absl::InvalidArgumentError(absl::StrCat(field, " has ", name.size(),
                                                   " characters; the maximum is ",
                                                   kMaxNameLength));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i]) || (i == 0 && !absl::ascii_isalnum(name[i]))) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, " '", name, "' has ", Printable(name[i]), " at position ", i,
          "; names use lowercase letters, digits, '_', '-' and '.', and start with a letter or "
          "digit"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateVector(absl::string_view field,
                            const google::protobuf::RepeatedField<float>& values,
                            uint32_t dimension, bool cosine) {
  if (static_cast<uint32_t>(values.size()) != dimension) {
    return absl::InvalidArgumentError(absl::StrCat(field, " has ", values.size(),
                                                   " values but the collection's dimension is ",
                                                   dimension));
  }
  bool all_zero = true;
  for (int i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return absl::InvalidArgumentError(absl::StrCat(field, "[", i, "] is ", values[i],
                                                     "; values must be finite numbers"));
    }
    all_zero = all_zero && values[i] == 0.0f;
  }
  if (cosine && all_zero) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " is a zero vector, which has no direction under the cosine metric"));
  }
  return absl::OkStatus();
}

absl::Status ValidateK(int32_t k) {
  if (k >= 1 && k <= static_cast<int32_t>(kMaxK)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("params.k is ", k, "; it must be between 1 and ", kMaxK));
}

absl::Status ValidateBatchSize(absl::string_view field, size_t size, size_t max) {
  if (size == 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is empty; send at least one"));
  }
  if (size > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " has ", size, " entries; the maximum per request is ", max));
  }
  return absl::OkStatus();
}

absl::Status CheckResponseSize(size_t bytes, absl::string_view what) {
  if (bytes <= kMaxMessageBytes) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat("the response would take ", bytes,
                                                   " bytes, over the message limit of ",
                                                   kMaxMessageBytes, "; ", what));
}

absl::Status ValidateBudget(uint32_t budget) {
  if (budget <= kMaxBudget) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("params.budget is ", budget,
                                                 "; it must be at most ", kMaxBudget,
                                                 " (0 for the default)"));
}

absl::Status ValidatePruneEpsilon(absl::string_view field, float value) {
  if (std::isfinite(value) && value <= kMaxPruneEpsilon) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, " is ", value, "; it must be a finite number at most ",
                   kMaxPruneEpsilon, " (0 prunes the most, a negative value turns pruning off)"));
}

absl::Status ValidateSearchParams(const v1::SearchParams& params) {
  if (absl::Status k = ValidateK(params.k()); !k.ok()) return k;
  if (absl::Status budget = ValidateBudget(params.budget()); !budget.ok()) return budget;
  if (params.has_prune_epsilon()) {
    return ValidatePruneEpsilon("params.prune_epsilon", params.prune_epsilon());
  }
  return absl::OkStatus();
}

namespace {

// Takes `value`, or `fallback` when it is zero, and checks it against [min, max].
template <typename T>
absl::StatusOr<T> SettingInRange(absl::string_view field, T value, T fallback, T min, T max) {
  const T resolved = value == 0 ? fallback : value;
  if (resolved >= min && resolved <= max) return resolved;
  return absl::InvalidArgumentError(absl::StrCat("index.", field, " is ", resolved,
                                                 "; it must be between ", min, " and ", max,
                                                 " (0 for the default ", fallback, ")"));
}

}  // namespace

absl::StatusOr<storage::IndexSettingsRecord> ResolveIndexSettings(
    const v1::IndexSettings& settings) {
  storage::IndexSettingsRecord record;
  auto branching = SettingInRange<uint32_t>("branching", settings.branching(), 16, 2, 256);
  if (!branching.ok()) return branching.status();
  auto leaf = SettingInRange<uint32_t>("max_leaf_size", settings.max_leaf_size(), 256, 8, 100000);
  if (!leaf.ok()) return leaf.status();
  auto split =
      SettingInRange<uint32_t>("split_threshold", settings.split_threshold(), 128, 4, 100000);
  if (!split.ok()) return split.status();
  auto merge = SettingInRange<uint32_t>("merge_threshold", settings.merge_threshold(),
                                        *split / 4, 1, *split - 1);
  if (!merge.ok()) return merge.status();
  auto train = SettingInRange<uint64_t>("train_threshold", settings.train_threshold(), 10000, 2,
                                        uint64_t{1} << 40);
  if (!train.ok()) return train.status();
  auto growth = SettingInRange<uint32_t>("retrain_growth", settings.retrain_growth(), 4, 2, 1000);
  if (!growth.ok()) return growth.status();
  float prune_epsilon = index::kDefaultPruneEpsilon;
  if (settings.has_prune_epsilon()) {
    prune_epsilon = settings.prune_epsilon();
    if (absl::Status valid = ValidatePruneEpsilon("index.prune_epsilon", prune_epsilon);
        !valid.ok()) {
      return valid;
    }
  }

  record.branching = *branching;
  record.max_leaf_size = *leaf;
  record.split_threshold = *split;
  record.merge_threshold = *merge;
  record.train_threshold = *train;
  record.retrain_growth = *growth;
  record.prune_epsilon = prune_epsilon;
  return record;
}

v1::IndexSettings ToProto(const storage::IndexSettingsRecord& settings) {
  v1::IndexSettings proto;
  proto.set_branching(settings.branching);
  proto.set_max_leaf_size(settings.max_leaf_size);
  proto.set_split_threshold(settings.split_threshold);
  proto.set_merge_threshold(settings.merge_threshold);
  proto.set_train_threshold(settings.train_threshold);
  proto.set_retrain_growth(settings.retrain_growth);
  proto.set_prune_epsilon(settings.prune_epsilon);
  return proto;
}

}  // namespace arbor::server

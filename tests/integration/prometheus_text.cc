#include "tests/integration/prometheus_text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace arbor::integration {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

bool IsMetricName(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(name[0])) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != ':') return false;
  }
  return true;
}

bool IsLabelName(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(name[0]) || absl::StartsWith(name, "__")) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  return true;
}

// Reads the sample values arbord writes: decimal floats, +Inf, -Inf and NaN.
bool ParseValue(absl::string_view text, double* value) {
  if (text == "+Inf") {
    *value = kInf;
    return true;
  }
  if (text == "-Inf") {
    *value = -kInf;
    return true;
  }
  if (text == "NaN") {
    *value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  // from_chars also reads "inf" and "nan", which the format spells differently.
  const bool decimal = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isdigit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
  });
  if (!decimal) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size();
}

// Unescapes a HELP text: only \\ and \n are escapes there.
absl::StatusOr<std::string> UnescapeHelp(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (i + 1 == text.size()) return absl::InvalidArgumentError("help ends in a lone backslash");
    const char next = text[++i];
    if (next == '\\') {
      out += '\\';
    } else if (next == 'n') {
      out += '\n';
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("help has the unknown escape \\", std::string(1, next)));
    }
  }
  return out;
}

// Parses `{name="value",...}` at the start of `*rest` and removes it from `*rest`.
absl::Status ParseLabels(absl::string_view* rest, PromLabels* labels) {
  if (!absl::ConsumePrefix(rest, "{")) return absl::OkStatus();
  if (absl::ConsumePrefix(rest, "}")) return absl::InvalidArgumentError("empty label braces");
  while (true) {
    const size_t equals = rest->find('=');
    if (equals == absl::string_view::npos) return absl::InvalidArgumentError("label without '='");
    const std::string name(rest->substr(0, equals));
    if (!IsLabelName(name)) {
      return absl::InvalidArgumentError(absl::StrCat("bad label name '", name, "'"));
    }
    rest->remove_prefix(equals + 1);
    if (!absl::ConsumePrefix(rest, "\"")) {
      return absl::InvalidArgumentError(absl::StrCat("label ", name, " has no opening quote"));
    }

    std::string value;
    bool closed = false;
    while (!rest->empty()) {
      const char c = rest->front();
      rest->remove_prefix(1);
      if (c == '"') {
        closed = true;
        break;
      }
      if (c != '\\') {
        value += c;
        continue;
      }
      if (rest->empty()) break;
      const char next = rest->front();
      rest->remove_prefix(1);
      if (next == '\\' || next == '"') {
        value += next;
      } else if (next == 'n') {
        value += '\n';
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("label ", name, " has the unknown escape \\", std::string(1, next)));
      }
    }
    if (!closed) return absl::InvalidArgumentError(absl::StrCat("label ", name, " is not closed"));
    if (!labels->emplace(name, value).second) {
      return absl::InvalidArgumentError(absl::StrCat("label ", name, " appears twice"));
    }

    if (absl::ConsumePrefix(rest, "}")) return absl::OkStatus();
    if (!absl::ConsumePrefix(rest, ",")) {
      return absl::InvalidArgumentError("expected ',' or '}' after a label value");
    }
  }
}

std::string SeriesKey(const std::string& name, const PromLabels& labels) {
  const auto formatter =
      absl::PairFormatter(absl::AlphaNumFormatter(), "=", absl::AlphaNumFormatter());
  return absl::StrCat(name, "{", absl::StrJoin(labels, ",", formatter), "}");
}

struct HistogramSeries {
  std::vector<std::pair<double, double>> buckets;  // (le, cumulative count) in written order
  std::optional<double> sum;
  std::optional<double> count;
};

class Parser {
 public:
  absl::StatusOr<PromScrape> Parse(absl::string_view text) {
    if (text.empty()) return absl::InvalidArgumentError("the text is empty");
    if (text.back() != '\n') return absl::InvalidArgumentError("the last line has no line feed");
    text.remove_suffix(1);

    int number = 0;
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      ++number;
      absl::Status status = ParseLine(line);
      if (!status.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", number, " '", line, "': ", status.message()));
      }
    }
    if (absl::Status status = CheckFamilies(); !status.ok()) return status;
    if (absl::Status status = CheckHistograms(); !status.ok()) return status;
    return std::move(scrape_);
  }

 private:
  absl::Status ParseLine(absl::string_view line) {
    if (line.empty()) return absl::InvalidArgumentError("blank line");
    if (absl::ConsumePrefix(&line, "# HELP ")) return ParseHelp(line);
    if (absl::ConsumePrefix(&line, "# TYPE ")) return ParseType(line);
    if (line.front() == '#') return absl::InvalidArgumentError("comment other than HELP or TYPE");
    return ParseSample(line);
  }

  // Makes `name` the current family, which must not have been closed before.
  absl::Status EnterFamily(const std::string& name) {
    if (name == current_family_) return absl::OkStatus();
    if (!current_family_.empty()) closed_families_.insert(current_family_);
    if (closed_families_.contains(name)) {
      return absl::InvalidArgumentError(absl::StrCat("family ", name, " appears a second time"));
    }
    current_family_ = name;
    return absl::OkStatus();
  }

  absl::Status ParseHelp(absl::string_view rest) {
    const size_t space = rest.find(' ');
    if (space == absl::string_view::npos) return absl::InvalidArgumentError("HELP without text");
    const std::string name(rest.substr(0, space));
    if (!IsMetricName(name)) return absl::InvalidArgumentError("bad metric name in HELP");
    if (absl::Status entered = EnterFamily(name); !entered.ok()) return entered;
    if (scrape_.helps.contains(name)) return absl::InvalidArgumentError("second HELP line");

    absl::StatusOr<std::string> help = UnescapeHelp(rest.substr(space + 1));
    if (!help.ok()) return help.status();
    scrape_.helps[name] = *help;
    return absl::OkStatus();
  }

  absl::Status ParseType(absl::string_view rest) {
    const std::vector<std::string> parts = absl::StrSplit(rest, ' ');
    if (parts.size() != 2) return absl::InvalidArgumentError("TYPE needs a name and a type");
    const std::string& name = parts[0];
    const std::string& type = parts[1];
    if (!IsMetricName(name)) return absl::InvalidArgumentError("bad metric name in TYPE");
    static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                 "untyped"};
    if (!kTypes.contains(type)) return absl::InvalidArgumentError("unknown type");
    if (absl::Status entered = EnterFamily(name); !entered.ok()) return entered;
    if (scrape_.types.contains(name)) return absl::InvalidArgumentError("second TYPE line");
    if (families_with_samples_.contains(name)) {
      return absl::InvalidArgumentError("TYPE after samples of its family");
    }
    scrape_.types[name] = type;
    return absl::OkStatus();
  }

  // The family a sample name belongs to: itself, or a histogram it is a _bucket, _sum or _count
  // of.
  absl::StatusOr<std::string> FamilyOf(const std::string& name) const {
    for (absl::string_view suffix : {"_bucket", "_sum", "_count"}) {
      absl::string_view base = name;
      if (absl::ConsumeSuffix(&base, suffix)) {
        const auto type = scrape_.types.find(std::string(base));
        if (type != scrape_.types.end() && type->second == "histogram") return std::string(base);
      }
    }
    const auto type = scrape_.types.find(name);
    if (type == scrape_.types.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("sample ", name, " has no TYPE line before it"));
    }
    if (type->second == "histogram") {
      return absl::InvalidArgumentError("a histogram sample needs _bucket, _sum or _count");
    }
    return name;
  }

  absl::Status ParseSample(absl::string_view line) {
    PromSample sample;
    size_t name_end = 0;
    while (name_end < line.size() && line[name_end] != '{' && line[name_end] != ' ') ++name_end;
    sample.name = std::string(line.substr(0, name_end));
    if (!IsMetricName(sample.name)) return absl::InvalidArgumentError("bad metric name");
    absl::string_view rest = line.substr(name_end);
    if (absl::Status parsed = ParseLabels(&rest, &sample.labels); !parsed.ok()) return parsed;

    if (!absl::ConsumePrefix(&rest, " ")) {
      return absl::InvalidArgumentError("no space before the value");
    }
    const std::vector<absl::string_view> fields = absl::StrSplit(rest, ' ');
    if (fields.size() > 2) return absl::InvalidArgumentError("text after the timestamp");
    if (!ParseValue(fields[0], &sample.value)) return absl::InvalidArgumentError("bad value");
    int64_t timestamp = 0;
    if (fields.size() == 2 && !absl::SimpleAtoi(fields[1], &timestamp)) {
      return absl::InvalidArgumentError("bad timestamp");
    }

    absl::StatusOr<std::string> family = FamilyOf(sample.name);
    if (!family.ok()) return family.status();
    if (*family != current_family_) {
      return absl::InvalidArgumentError(
          absl::StrCat("sample of family ", *family, " outside its block"));
    }
    families_with_samples_.insert(*family);
    if (!series_.insert(SeriesKey(sample.name, sample.labels)).second) {
      return absl::InvalidArgumentError("series appears twice");
    }

    const std::string& type = scrape_.types[*family];
    if (type == "counter" && !(sample.value >= 0)) {
      return absl::InvalidArgumentError("counter is negative or NaN");
    }
    if (type == "histogram") {
      if (absl::Status added = AddToHistogram(*family, sample); !added.ok()) return added;
    }
    scrape_.samples.push_back(std::move(sample));
    return absl::OkStatus();
  }

  absl::Status AddToHistogram(const std::string& family, const PromSample& sample) {
    PromLabels labels = sample.labels;
    std::optional<double> le;
    if (sample.name == family + "_bucket") {
      const auto it = labels.find("le");
      if (it == labels.end()) return absl::InvalidArgumentError("bucket without le");
      double bound = 0;
      if (!ParseValue(it->second, &bound)) return absl::InvalidArgumentError("bad le");
      le = bound;
      labels.erase(it);
    } else if (labels.contains("le")) {
      return absl::InvalidArgumentError("le outside a bucket");
    }

    HistogramSeries& series = histograms_[SeriesKey(family, labels)];
    if (le.has_value()) {
      series.buckets.emplace_back(*le, sample.value);
    } else if (absl::EndsWith(sample.name, "_sum")) {
      series.sum = sample.value;
    } else {
      series.count = sample.value;
    }
    return absl::OkStatus();
  }

  absl::Status CheckFamilies() const {
    for (const auto& [name, type] : scrape_.types) {
      if (!scrape_.helps.contains(name)) {
        return absl::InvalidArgumentError(absl::StrCat("family ", name, " has no HELP line"));
      }
    }
    for (const auto& [name, help] : scrape_.helps) {
      if (!scrape_.types.contains(name)) {
        return absl::InvalidArgumentError(absl::StrCat("family ", name, " has no TYPE line"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckHistograms() const {
    for (const auto& [key, series] : histograms_) {
      const auto fail = [&key](absl::string_view reason) {
        return absl::InvalidArgumentError(absl::StrCat("histogram ", key, ": ", reason));
      };
      if (series.buckets.empty()) return fail("no buckets");
      if (!series.sum.has_value()) return fail("no _sum");
      if (!series.count.has_value()) return fail("no _count");
      for (size_t i = 1; i < series.buckets.size(); ++i) {
        if (!(series.buckets[i].first > series.buckets[i - 1].first)) {
          return fail("le bounds are not strictly ascending");
        }
        if (series.buckets[i].second < series.buckets[i - 1].second) {
          return fail("bucket counts decrease");
        }
      }
      if (series.buckets.back().first != kInf) return fail("the last bucket is not +Inf");
      if (series.buckets.back().second != *series.count) return fail("_count differs from +Inf");
    }
    return absl::OkStatus();
  }

  PromScrape scrape_;
  std::string current_family_;
  std::set<std::string> closed_families_;
  std::set<std::string> families_with_samples_;
  std::set<std::string> series_;
  std::map<std::string, HistogramSeries> histograms_;
};

}  // namespace

std::optional<double> PromScrape::Find(const std::string& name, const PromLabels& labels) const {
  for (const PromSample& sample : samples) {
    if (sample.name == name && sample.labels == labels) return sample.value;
  }
  return std::nullopt;
}

std::vector<PromSample> PromScrape::Select(const std::string& name,
                                           const PromLabels& subset) const {
  std::vector<PromSample> selected;
  for (const PromSample& sample : samples) {
    if (sample.name != name) continue;
    bool matches = true;
    for (const auto& [label, value] : subset) {
      const auto it = sample.labels.find(label);
      if (it == sample.labels.end() || it->second != value) matches = false;
    }
    if (matches) selected.push_back(sample);
  }
  return selected;
}

absl::StatusOr<PromScrape> ParsePrometheusText(absl::string_view text) {
  return Parser().Parse(text);
}

}  // namespace arbor::integration

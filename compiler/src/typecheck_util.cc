// Helpers of the type checker: field paths, did-you-mean, value descriptions.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <vector>

#include "typecheck_internal.h"

namespace gorch::compiler::typecheck_internal {

using lang::Type;
using lang::TypeKind;
using lang::Value;

namespace {

// The text a keyed list item shows in a path: its key if that is a string.
std::string_view ItemKey(const PathStep& step) {
  if (step.list_key.empty() || step.item == nullptr) return {};
  const Value* key = step.item->Find(step.list_key);
  if (key == nullptr || !key->is_string() || key->as_string().empty()) return {};
  return key->as_string();
}

bool IsIdentifier(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  return true;
}

// Optimal string alignment distance (Damerau-Levenshtein without repeated edits
// of a substring), bounded: returns limit + 1 as soon as it must exceed limit.
size_t EditDistance(std::string_view a, std::string_view b, size_t limit) {
  size_t n = a.size(), m = b.size();
  if ((n > m ? n - m : m - n) > limit) return limit + 1;
  std::vector<size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = j;
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    size_t row_min = cur[0];
    for (size_t j = 1; j <= m; ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > limit) return limit + 1;
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string PathString(const PathStep* step) {
  std::vector<const PathStep*> steps;
  for (; step != nullptr; step = step->parent)
    if (!step->name.empty() || step->is_item) steps.push_back(step);
  std::string out;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    const PathStep& s = **it;
    if (s.is_item) {
      std::string_view key = ItemKey(s);
      out += '[';
      out += key.empty() ? std::to_string(s.index) : std::string(key);
      out += ']';
    } else if (s.is_map_key) {
      out += '[';
      if (IsIdentifier(s.name)) {
        out += s.name;
      } else {
        out += '"';
        out += s.name;
        out += '"';
      }
      out += ']';
    } else {
      if (!out.empty()) out += '.';
      out += s.name;
    }
  }
  return out;
}

std::optional<std::string> Suggest(std::string_view word,
                                   const std::vector<std::string_view>& candidates) {
  std::string lower_word = Lower(word);
  for (std::string_view c : candidates)
    if (Lower(c) == lower_word) return std::string(c);
  // A typo of a short name is one edit; longer names allow about a third.
  size_t limit = word.size() <= 3 ? 1 : word.size() <= 6 ? 2 : std::max<size_t>(2, word.size() / 3);
  std::optional<std::string> best;
  size_t best_distance = limit + 1;
  for (std::string_view c : candidates) {
    size_t d = EditDistance(lower_word, Lower(c), limit);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(c);
    }
  }
  return best;
}

std::string DescribeValue(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull: return "null";
    case Value::Kind::kBool: return v.as_bool() ? "bool true" : "bool false";
    case Value::Kind::kInt: return "integer " + std::to_string(v.as_int());
    case Value::Kind::kFloat: return "number " + v.ToJson();
    case Value::Kind::kString: {
      const std::string& s = v.as_string();
      constexpr size_t kMax = 60;
      if (s.size() <= kMax) return "string " + v.ToJson();
      return "string " + Value::String(s.substr(0, kMax)).ToJson() + "...";
    }
    case Value::Kind::kList: return "list";
    case Value::Kind::kMap: return "map";
  }
  return "value";
}

bool KindFits(const Value& v, const Type* t) {
  if (t == nullptr) return true;
  switch (t->kind) {
    case TypeKind::kAny: return true;
    case TypeKind::kBool: return v.is_bool();
    case TypeKind::kInt:
      return v.is_int() || (v.is_float() && std::floor(v.as_float()) == v.as_float());
    case TypeKind::kFloat: return v.is_number();
    case TypeKind::kString:
    case TypeKind::kEnum:
    case TypeKind::kRef:
    case TypeKind::kDuration: return v.is_string();
    case TypeKind::kQuantity: return v.is_string() || v.is_number();
    case TypeKind::kList: return v.is_list();
    case TypeKind::kMap:
    case TypeKind::kRecord: return v.is_map();
    case TypeKind::kUnion:
      return std::any_of(t->alternatives.begin(), t->alternatives.end(),
                         [&](const Type* alt) { return KindFits(v, alt); });
  }
  return false;
}

void MarkDefaulted(Value& v, const lang::SourcePos& pos) {
  v.set_defaulted(true);
  v.set_pos(pos);
  if (v.is_list()) {
    for (Value& e : v.as_list()) MarkDefaulted(e, pos);
  } else if (v.is_map()) {
    for (auto& [k, e] : v.as_map()) MarkDefaulted(e, pos);
  }
}

}  // namespace gorch::compiler::typecheck_internal

#include "suggest.h"

#include <algorithm>
#include <cctype>

namespace gorch::lang::internal {

size_t EditDistance(std::string_view a, std::string_view b, size_t cap) {
  size_t diff = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (diff > cap) return cap + 1;
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    size_t best = row[0];
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                  std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
      diag = up;
      best = std::min(best, row[j]);
    }
    if (best > cap) return cap + 1;
  }
  return row[b.size()];
}

std::string DidYouMean(std::string_view name, const std::vector<std::string_view>& candidates) {
  size_t cap = std::max<size_t>(1, std::min<size_t>(3, name.size() / 3));
  std::string_view best;
  size_t best_distance = cap + 1;
  for (std::string_view c : candidates) {
    size_t d = EditDistance(name, c, cap);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  if (best.empty()) return "";
  return " (did you mean '" + std::string(best) + "'?)";
}

}  // namespace gorch::lang::internal

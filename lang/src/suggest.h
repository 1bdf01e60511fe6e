// "did you mean" suggestions for unknown names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gorch::lang::internal {

// Levenshtein distance, capped: returns cap+1 as soon as it must exceed cap.
size_t EditDistance(std::string_view a, std::string_view b, size_t cap);

// " (did you mean 'x'?)" for the closest candidate within a small distance,
// else "". Ties keep the first candidate.
std::string DidYouMean(std::string_view name, const std::vector<std::string_view>& candidates);

}  // namespace gorch::lang::internal

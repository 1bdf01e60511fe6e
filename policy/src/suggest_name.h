// "did you mean" for unknown check, kind and binding names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gorch::policy::internal {

// " (did you mean 'x'?)" for the closest candidate within a small edit
// distance (a third of the name's length, at least 1, at most 3), else "".
std::string DidYouMean(std::string_view name, const std::vector<std::string_view>& candidates);

}  // namespace gorch::policy::internal

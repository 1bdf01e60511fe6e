// Helpers of the graph builder, shared with the compile driver and tests.
#pragma once

#include <string>
#include <string_view>

#include "gorch/compiler/desired_state.h"
#include "gorch/lang/value.h"

namespace gorch::compiler {

// Hex sha256 of data.
std::string Sha256Hex(std::string_view data);
// The pod template of a workload (the Pod itself for a Pod), or null.
const lang::Value* PodTemplateOf(const Resource& r);
// A Service-style selector (a plain map) against labels: all pairs present.
bool MapSelectorMatches(const lang::Value& selector, const lang::Value& labels);
// A LabelSelector (matchLabels + matchExpressions) against labels; on a mismatch,
// *why (if given) says which term failed.
bool SelectorMatches(const lang::Value& selector, const lang::Value& labels, std::string* why);

}  // namespace gorch::compiler

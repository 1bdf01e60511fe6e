// JSON text <-> lang::Value, for plan files, live-state files and store values.
#pragma once

#include <string_view>

#include "gorch/base/status.h"
#include "gorch/lang/value.h"

namespace gorch::planner {

// Parses JSON text into a Value (object keys in text order; integers exact).
// InvalidArgument with "file: byte N: message" on malformed input.
Result<lang::Value> ParseJsonValue(std::string_view text, std::string_view file_name);

}  // namespace gorch::planner

// Parsers and validators for the string shapes Kubernetes gives meaning to:
// quantities ("100m", "64Mi"), durations ("1h30m"), and the string formats of
// `string(format: F)` refinements (DNS labels, label keys, port names...).
// All functions are pure, never throw, and are safe to call from many threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gorch/lang/types.h"

namespace gorch::lang {

// Parses a Kubernetes quantity into its numeric value:
//   "2" -> 2, "1.5" -> 1.5, "-1" -> -1, "100m" -> 0.1, "64Mi" -> 67108864,
//   "1G" -> 1e9, "1k" -> 1000, "1e3" -> 1000, "1.5Gi" -> 1610612736.
// Grammar: [+-]? (digits ["." digits] | "." digits) [suffix], where suffix is one
// of the binary Ki Mi Gi Ti Pi Ei, the decimal n u m k M G T P E, or an exponent
// e|E [+-]? digits. Returns nullopt for "", whitespace, unknown units ("1K",
// "1kb"), or a value that does not fit in a double.
std::optional<double> ParseQuantity(std::string_view text);

// Parses a Go-style duration into milliseconds (fractions below 1ms truncate
// toward zero): "10s" -> 10000, "5m" -> 300000, "1h30m" -> 5400000,
// "250ms" -> 250, "1.5s" -> 1500, "0" -> 0, "-1s" -> -1000.
// Units: ns, us (or µs), ms, s, m, h. Returns nullopt for "", a number without
// a unit (except "0"), unknown units ("1d"), or overflow.
std::optional<int64_t> ParseDurationMillis(std::string_view text);

// True when `text` has the format. On false, if `why` is not null it gets a
// short reason phrased as Kubernetes does ("must be no more than 63
// characters", "must consist of lower case alphanumeric characters or '-', and
// must start and end with an alphanumeric character"). kNone accepts anything.
bool MatchesFormat(StringFormat format, std::string_view text, std::string* why);

// The name used in schemas (`format: dns1123label`), and back; nullopt when the
// name is unknown.
std::string_view FormatName(StringFormat format);
std::optional<StringFormat> ParseFormatName(std::string_view name);

// Whole-string match of `text` against the ECMAScript regex `pattern` (as in
// `string(pattern: "...")` and `s.matches(re)`). Matching takes polynomial time
// and bounded stack (back-references are not supported). Compiled regexes are
// cached per thread. Returns false with *error set (if not null) when the pattern
// does not compile or the input is over 64 KiB; on a plain mismatch *error is
// left empty.
bool MatchesPattern(std::string_view pattern, std::string_view text, std::string* error);

// Checks that `pattern` compiles; on failure returns false with a reason.
bool ValidPattern(std::string_view pattern, std::string* error);

}  // namespace gorch::lang

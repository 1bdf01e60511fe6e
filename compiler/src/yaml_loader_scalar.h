// How YAML scalars become typed values, as Kubernetes' YAML (sigs.k8s.io/yaml
// over go-yaml v2, YAML 1.1 rules) resolves them.
#pragma once

#include <string>
#include <string_view>

#include "gorch/lang/value.h"

namespace gorch::compiler::internal {

// A plain (unquoted, untagged) scalar:
//   y Y yes Yes YES true True TRUE on On ON      -> true
//   n N no No NO false False FALSE off Off OFF   -> false
//   "" ~ null Null NULL                          -> null
//   ints: decimal, 0x hex, 0o and leading-0 octal, 0b binary, signs, '_'
//   floats: 1.5, -2e3, .5, .inf/.Inf/.INF (signed), .nan/.NaN/.NAN
//   anything else (timestamps included)          -> the string itself
// An integer beyond int64 becomes a float.
lang::Value ResolvePlainScalar(std::string_view text, lang::SourcePos pos);

// A scalar with its yaml-cpp tag: "?" plain, "!" quoted or block (a string),
// "tag:yaml.org,2002:str|int|float|bool|null|binary|timestamp", or a local tag
// (kept as a string, as go-yaml does). Sets error (and returns null) when an
// explicit tag does not fit the text ("!!int abc").
lang::Value ResolveScalar(const std::string& tag, const std::string& text, lang::SourcePos pos,
                          std::string& error);

}  // namespace gorch::compiler::internal

// Private helpers shared by the YAML and Jsonnet loaders and LoadManifests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gorch/compiler/loader.h"

namespace gorch::compiler::internal {

// Diagnostic codes of the loaders (stable: tests and golden files use them).
inline constexpr const char* kCodeFileTooLarge = "file-too-large";
inline constexpr const char* kCodeFileRead = "file-read";
inline constexpr const char* kCodeNotUtf8 = "not-utf8";
inline constexpr const char* kCodeYamlSyntax = "yaml-syntax";
inline constexpr const char* kCodeDuplicateKey = "duplicate-key";
inline constexpr const char* kCodeMaxDepth = "max-depth";
inline constexpr const char* kCodeAliasLimit = "alias-limit";
inline constexpr const char* kCodeYamlKey = "yaml-key";    // a key that is not a scalar, or empty
inline constexpr const char* kCodeYamlTag = "yaml-tag";    // !!int "abc" and the like
inline constexpr const char* kCodeYamlMerge = "yaml-merge";
inline constexpr const char* kCodeBoolKey = "yaml-bool-key";  // warning
inline constexpr const char* kCodeNotAMap = "not-a-map";
inline constexpr const char* kCodeJsonnet = "jsonnet-error";
inline constexpr const char* kCodeJsonnetTimeout = "jsonnet-timeout";
inline constexpr const char* kCodeJsonnetOutput = "jsonnet-output";
inline constexpr const char* kCodeInternal = "internal";

// Appends `doc` (one document) to out as a manifest: it must be a map; a
// `kind: List` is replaced by its items (recursively). Problems go to diags.
// `what` names the document in messages ("document", "jsonnet output at .a").
void AppendManifest(lang::Value doc, std::string_view what, std::vector<Manifest>& out,
                    lang::Diagnostics& diags);

// A Source's error message for a diagnostic already placed at file `shown`:
// "shown: no such file" -> "no such file", "shown is 9 bytes..." -> "file is 9 bytes...".
std::string MessageWithoutPath(const std::string& message, const std::string& shown);

// Offset of the first byte of text that is not part of valid UTF-8 (overlong
// forms, surrogates and code points above U+10FFFF are invalid); npos if none.
size_t FindInvalidUtf8(std::string_view text);

// The 1-based line and byte column of offset in text.
lang::SourcePos PosAtOffset(const char* file, std::string_view text, size_t offset);

}  // namespace gorch::compiler::internal

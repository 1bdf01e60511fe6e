// The texts of policy/builtin/*.gorch, embedded at build time (cmake/embed_files.cmake).
#pragma once

namespace gorch::policy::internal {

struct EmbeddedPolicyFile {
  const char* name;  // "builtin/latest-tag.gorch"; null in the terminating entry
  const char* text;
};

// Sorted by file name, terminated by {nullptr, nullptr}.
extern const EmbeddedPolicyFile kEmbeddedPolicies[];
extern const int kEmbeddedPolicyCount;

}  // namespace gorch::policy::internal

// The texts of lang/schemas/*.gorch, embedded at build time (cmake/embed_files.cmake).
#pragma once

namespace gorch::lang::internal {

struct EmbeddedSchema {
  const char* name;  // "schemas/apps.gorch"; null in the terminating entry
  const char* text;
};

// Sorted by file name, terminated by {nullptr, nullptr}.
extern const EmbeddedSchema kEmbeddedSchemas[];
extern const int kEmbeddedSchemaCount;

}  // namespace gorch::lang::internal

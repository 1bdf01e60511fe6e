// Documents the compiler rejected because their apiVersion is no longer served
// (deprecated-api-version): policies such as no-extensions-v1beta still judge
// them. Read again only when the compiler reported such an error.
#pragma once

#include <vector>

#include "gorch/compiler/compile.h"

namespace gorch::policy::internal {

std::vector<compiler::Resource> UnservedDocuments(const compiler::Source& source, const lang::SchemaSet& schemas,
                                                  const compiler::CompileOptions& options,
                                                  const lang::Diagnostics& compile_diags);

}  // namespace gorch::policy::internal

// libFuzzer target for YAML → type check → graph: any bytes must give a graph or
// diagnostics, never a crash, a hang or unbounded memory.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gorch/compiler/compile.h"
#include "gorch/compiler/loader.h"
#include "gorch/compiler/typecheck.h"

namespace {

const gorch::lang::SchemaSet& Schemas() {
  static const gorch::lang::SchemaSet* set = [] {
    gorch::lang::Diagnostics diags;
    auto s = gorch::lang::LoadSchemas({}, diags);
    if (!s) std::abort();  // the embedded schemas must load
    return s.release();
  }();
  return *set;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gorch::compiler::LoadOptions options;
  options.max_alias_nodes = 1u << 16;  // keeps each run fast; the limit itself is what is tested
  gorch::lang::Diagnostics diags;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto manifests = gorch::compiler::ParseYaml("fuzz.yaml", text, options, diags);
  // Every manifest is a map; every diagnostic names the file.
  for (const auto& m : manifests)
    if (!m.doc.is_map()) __builtin_trap();
  for (const auto& d : diags.all())
    if (std::string_view(d.pos.file) != "fuzz.yaml") __builtin_trap();
  // Then the type checker and the graph builder over whatever parsed.
  std::vector<gorch::compiler::CheckedManifest> checked;
  for (auto& m : manifests) checked.push_back(gorch::compiler::TypeCheck(Schemas(), std::move(m.doc), diags));
  gorch::compiler::CompileOptions compile_options;
  auto state = gorch::compiler::BuildGraph(std::move(checked), compile_options, diags);
  if (!diags.HasErrors() && state.order.size() != state.resources.size()) __builtin_trap();
  return 0;
}

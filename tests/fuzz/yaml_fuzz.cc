// libFuzzer target for the YAML loader: any bytes must give manifests or
// diagnostics, never a crash, a hang or unbounded memory.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gorch/compiler/loader.h"

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
  return 0;
}

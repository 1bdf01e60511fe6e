// libFuzzer target for the Gorch language front end: the input is parsed both as
// a schema file (SchemaSet::AddFile + Finalize, then every type described and
// searched) and as a standalone expression (ParseExpression, printed, re-parsed
// and evaluated over a small document). Any crash, sanitizer report, hang or
// exception escaping the library is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gorch/lang/eval.h"
#include "gorch/lang/expr.h"
#include "gorch/lang/types.h"

namespace {

using namespace gorch::lang;

void FuzzSchema(std::string_view text) {
  SchemaSet set;
  Diagnostics diags;
  set.AddFile("fuzz.gorch", text, diags);
  set.Finalize(diags);
  for (const Diagnostic& d : diags.all()) (void)d.ToString();
  for (const Type* t : set.types()) {
    if (!t) continue;
    (void)t->Describe();
    for (const Field& f : t->fields) {
      if (t->FindField(f.name) == nullptr) __builtin_trap();  // every field is findable
      if (f.type) (void)f.type->Describe();
    }
  }
  for (const KindSchema* k : set.kinds()) {
    if (set.Find(k->api_version, k->kind) != k) __builtin_trap();
    (void)set.Replacement(k->api_version, k->kind);
  }
}

void FuzzExpression(std::string_view text) {
  Diagnostics diags;
  auto parsed = ParseExpression(text, "fuzz", diags);
  if (!parsed.ok()) {
    if (!diags.HasErrors()) __builtin_trap();  // a failure always says why
    return;
  }
  const Expr& expr = **parsed;
  // Printing then parsing again gives the same text.
  std::string printed = ExprToString(expr);
  Diagnostics again;
  auto reparsed = ParseExpression(printed, "printed", again);
  if (!reparsed.ok() || ExprToString(**reparsed) != printed) __builtin_trap();
  static const Value doc = Value::MakeMap({
      {"a", Value::Int(1)},
      {"s", Value::String("web-0")},
      {"l", Value::MakeList({Value::Int(1), Value::String("x"), Value::Null()})},
      {"m", Value::MakeMap({{"k", Value::Float(0.5)}})},
  });
  (void)Evaluate(expr, EvalScope{&doc, {}});
  (void)EvaluateBool(expr, EvalScope{nullptr, {}});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  FuzzSchema(text);
  FuzzExpression(text);
  return 0;
}

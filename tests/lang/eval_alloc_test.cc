// The type checker evaluates defaults and constraints for every resource, so the
// common shapes must not allocate: a literal, a sibling field, a comparison.
// Counts heap allocations with a replaced global operator new.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "gorch/lang/eval.h"
#include "gorch/lang/expr.h"
#include "gorch/lang/types.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace gorch::lang {
namespace {

// Allocations made by one evaluation of `text` over `self`.
long AllocationsOf(const std::string& text, const Value& self) {
  Diagnostics diags;
  auto expr = ParseExpression(text, "t", diags);
  EXPECT_TRUE(expr.ok()) << text;
  EvalScope scope{&self, {}};
  long before = g_allocations.load();
  {
    auto v = Evaluate(**expr, scope);
    EXPECT_TRUE(v.ok()) << text << ": " << v.status().ToString();
  }
  return g_allocations.load() - before;
}

TEST(EvalAllocationTest, SimpleDefaultsAndConditionsDoNotAllocate) {
  Value self = Value::MakeMap({
      {"port", Value::Int(8080)},
      {"type", Value::String("RollingUpdate")},
      {"optional", Value::Bool(true)},
      {"replicas", Value::Int(3)},
  });
  const char* cases[] = {
      "\"TCP\"",
      "30",
      "port",
      "type == \"RollingUpdate\"",
      "optional == true",
      "!(replicas == 0 && port == 0)",
      "has(port) ? port : 80",
      "replicas >= 0 && replicas < 1000",
      "missing == null",
  };
  for (const char* text : cases) EXPECT_EQ(AllocationsOf(text, self), 0) << text;
}

TEST(EvalAllocationTest, FindFieldDoesNotAllocate) {
  SchemaSet set;
  Diagnostics diags;
  std::string text = "type Big = {\n";
  for (int i = 0; i < 30; ++i) text += "  field" + std::to_string(i) + "?: int\n";
  text += "}\ntype Small = { a?: int, b?: int }\n";
  set.AddFile("t.gorch", text, diags);
  ASSERT_TRUE(set.Finalize(diags));
  const Type* big = set.FindType("Big");
  const Type* small = set.FindType("Small");
  long before = g_allocations.load();
  int found = 0;
  for (int i = 0; i < 100; ++i) {
    found += big->FindField("field17") != nullptr;
    found += small->FindField("b") != nullptr;
    found += big->FindField("nope") != nullptr;
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
  EXPECT_EQ(found, 200);
}

}  // namespace
}  // namespace gorch::lang

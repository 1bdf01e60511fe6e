// The schemas embedded in the binary (lang/schemas/*.gorch) load and resolve
// with no diagnostics at all, and hold what every kind relies on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gorch/lang/eval.h"
#include "gorch/lang/types.h"

namespace gorch::lang {
namespace {

std::string Errors(const Diagnostics& diags) {
  std::string out;
  for (const auto& d : diags.all()) out += d.ToString() + "\n";
  return out;
}

TEST(BuiltinSchemasTest, LoadAndFinalizeWithoutDiagnostics) {
  Diagnostics diags;
  auto set = LoadSchemas({}, diags);
  EXPECT_TRUE(diags.all().empty()) << Errors(diags);
  ASSERT_NE(set, nullptr);
}

TEST(BuiltinSchemasTest, PreludeTypes) {
  Diagnostics diags;
  auto set = LoadSchemas({}, diags);
  ASSERT_NE(set, nullptr) << Errors(diags);
  const Type* meta = set->FindType("ObjectMeta");
  ASSERT_NE(meta, nullptr);
  ASSERT_EQ(meta->kind, TypeKind::kRecord);
  const Field* name = meta->FindField("name");
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->type->refine.format, StringFormat::kDns1123Subdomain);
  const Field* labels = meta->FindField("labels");
  ASSERT_NE(labels, nullptr);
  ASSERT_EQ(labels->type->kind, TypeKind::kMap);
  EXPECT_EQ(labels->type->key->refine.format, StringFormat::kLabelKey);
  EXPECT_EQ(labels->type->element->refine.format, StringFormat::kLabelValue);
  EXPECT_EQ(meta->FindField("ownerReferences")->type->list_key, "uid");
  EXPECT_GT(meta->field_index.size(), 0u);  // ObjectMeta is big enough to be indexed

  for (const char* n : {"DnsLabel", "DnsSubdomain", "LabelKey", "LabelValue", "IanaSvcName",
                        "IntOrString", "IntOrPercent", "Quantity", "LabelSelector",
                        "OwnerReference", "Labels"}) {
    EXPECT_NE(set->FindType(n), nullptr) << n;
  }
  EXPECT_EQ(set->FindType("Quantity")->kind, TypeKind::kQuantity);
  EXPECT_EQ(set->FindType("IntOrString")->kind, TypeKind::kUnion);
}

TEST(BuiltinSchemasTest, LabelSelectorRequirementConstraint) {
  Diagnostics diags;
  auto set = LoadSchemas({}, diags);
  ASSERT_NE(set, nullptr) << Errors(diags);
  const Type* req = set->FindType("LabelSelectorRequirement");
  ASSERT_NE(req, nullptr);
  ASSERT_EQ(req->constraints.size(), 1u);
  const Expr& rule = *req->constraints[0].expr;
  auto check = [&](Value v) { return EvaluateBool(rule, EvalScope{&v, {}}); };
  Value in_with_values = Value::MakeMap({{"key", Value::String("app")},
                                         {"operator", Value::String("In")},
                                         {"values", Value::MakeList({Value::String("web")})}});
  Value in_without = Value::MakeMap({{"key", Value::String("app")}, {"operator", Value::String("In")}});
  Value exists = Value::MakeMap({{"key", Value::String("app")}, {"operator", Value::String("Exists")}});
  EXPECT_TRUE(*check(in_with_values));
  EXPECT_FALSE(*check(in_without));
  EXPECT_TRUE(*check(exists));
}

TEST(BuiltinSchemasTest, EveryKindHasABodyAndEveryFieldAType) {
  Diagnostics diags;
  auto set = LoadSchemas({}, diags);
  ASSERT_NE(set, nullptr) << Errors(diags);
  for (const KindSchema* k : set->kinds()) {
    ASSERT_NE(k->body, nullptr) << k->kind;
    EXPECT_EQ(set->Find(k->api_version, k->kind), k);
  }
  for (const Type* t : set->types()) {
    ASSERT_NE(t, nullptr);
    for (const Field& f : t->fields) EXPECT_NE(f.type, nullptr) << t->Describe() << "." << f.name;
  }
}

}  // namespace
}  // namespace gorch::lang

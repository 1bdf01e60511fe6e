// Schema parsing: every construct of docs/language.md becomes the types.h
// structures it describes.
#include <gtest/gtest.h>

#include <string>

#include "gorch/lang/eval.h"
#include "gorch/lang/expr.h"
#include "gorch/lang/types.h"

namespace gorch::lang {
namespace {

// Kinds need ObjectMeta; tests that declare kinds add this.
constexpr const char* kMiniPrelude = "type ObjectMeta = { name?: string, ... }\n";

std::string Errors(const Diagnostics& diags) {
  std::string out;
  for (const auto& d : diags.all()) out += d.ToString() + "\n";
  return out;
}

// Parses `text` (plus the mini prelude) and finalizes; fails the test on errors.
std::unique_ptr<SchemaSet> Load(const std::string& text) {
  auto set = std::make_unique<SchemaSet>();
  Diagnostics diags;
  set->AddFile("prelude.gorch", kMiniPrelude, diags);
  set->AddFile("test.gorch", text, diags);
  EXPECT_TRUE(set->Finalize(diags)) << Errors(diags);
  EXPECT_FALSE(diags.HasErrors()) << Errors(diags);
  return set;
}

const Field& FieldOf(const Type* t, std::string_view name) {
  static const Field kNone;
  if (!t) {
    ADD_FAILURE() << "null type";
    return kNone;
  }
  const Field* f = t->FindField(name);
  if (!f) {
    ADD_FAILURE() << "no field " << name << " in " << t->Describe();
    return kNone;
  }
  return *f;
}

Value EvalDefault(const Field& f, const Value& self = Value::MakeMap()) {
  if (!f.default_value) {
    ADD_FAILURE() << "field " << f.name << " has no default";
    return Value();
  }
  auto v = Evaluate(*f.default_value, EvalScope{&self, {}});
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : Value();
}

TEST(ParserTest, TheDocumentedContainerPort) {
  auto set = Load(R"(
/// A port a container listens on.
type ContainerPort = {
  name?: IanaSvcName
  containerPort: int(1..65535)          // required: no `?`
  protocol?: Protocol = "TCP"           // optional with a default
  hostPort?: int(1..65535)
  hostIP?: string
}
type Protocol = "TCP" | "UDP" | "SCTP"            // enum
type IanaSvcName = string(format: ianaSvcName)
)");
  const Type* t = set->FindType("ContainerPort");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->kind, TypeKind::kRecord);
  EXPECT_EQ(t->name, "ContainerPort");
  EXPECT_EQ(t->pos.ToString(), "test.gorch:3:6");
  ASSERT_EQ(t->fields.size(), 5u);
  EXPECT_EQ(t->fields[0].name, "name");  // declaration order
  EXPECT_EQ(t->fields[4].name, "hostIP");
  EXPECT_FALSE(t->open);

  const Field& name = FieldOf(t, "name");
  EXPECT_FALSE(name.required);
  ASSERT_NE(name.type, nullptr);
  EXPECT_EQ(name.type, set->FindType("IanaSvcName"));  // resolved across the file
  EXPECT_EQ(name.type->kind, TypeKind::kString);
  EXPECT_EQ(name.type->refine.format, StringFormat::kIanaSvcName);
  EXPECT_EQ(name.pos.ToString(), "test.gorch:4:3");

  const Field& port = FieldOf(t, "containerPort");
  EXPECT_TRUE(port.required);
  EXPECT_EQ(port.type->kind, TypeKind::kInt);
  EXPECT_EQ(port.type->refine.min, 1);
  EXPECT_EQ(port.type->refine.max, 65535);
  EXPECT_EQ(port.type->Describe(), "integer(1..65535)");
  EXPECT_EQ(port.default_value, nullptr);

  const Field& protocol = FieldOf(t, "protocol");
  EXPECT_EQ(protocol.type, set->FindType("Protocol"));
  EXPECT_EQ(protocol.type->kind, TypeKind::kEnum);
  EXPECT_EQ(protocol.type->enum_values, (std::vector<std::string>{"TCP", "UDP", "SCTP"}));
  EXPECT_EQ(EvalDefault(protocol), Value::String("TCP"));
  EXPECT_EQ(protocol.default_when, nullptr);
}

TEST(ParserTest, DocCommentsAttachToTheNextField) {
  auto set = Load(R"(
type T = {
  /// First line.
  /// Second line.
  a?: int
  // an ordinary comment is not documentation
  b?: int

  /// Separated by a blank line: not b's.

  c?: int
}
)");
  const Type* t = set->FindType("T");
  EXPECT_EQ(FieldOf(t, "a").doc, "First line.\nSecond line.");
  EXPECT_EQ(FieldOf(t, "b").doc, "");
  EXPECT_EQ(FieldOf(t, "c").doc, "");
}

TEST(ParserTest, UnionsEnumsAndAliases) {
  auto set = Load(R"(
type IntOrString = int | string
type IntOrPercent = int(0..) | string(format: percent)
type Mixed = int | "auto" | "none" | bool
type Single = "Only"
type Alias = IntOrString
type Paren = (int | string)
)");
  const Type* ios = set->FindType("IntOrString");
  ASSERT_NE(ios, nullptr);
  EXPECT_EQ(ios->kind, TypeKind::kUnion);
  ASSERT_EQ(ios->alternatives.size(), 2u);
  EXPECT_EQ(ios->alternatives[0]->kind, TypeKind::kInt);
  EXPECT_EQ(ios->alternatives[1]->kind, TypeKind::kString);

  const Type* iop = set->FindType("IntOrPercent");
  ASSERT_EQ(iop->alternatives.size(), 2u);
  EXPECT_EQ(iop->alternatives[0]->refine.min, 0);
  EXPECT_FALSE(iop->alternatives[0]->refine.max.has_value());
  EXPECT_EQ(iop->alternatives[0]->Describe(), "integer(0..)");
  EXPECT_EQ(iop->alternatives[1]->refine.format, StringFormat::kPercent);

  const Type* mixed = set->FindType("Mixed");
  ASSERT_EQ(mixed->alternatives.size(), 3u);  // the run of strings is one enum
  EXPECT_EQ(mixed->alternatives[1]->kind, TypeKind::kEnum);
  EXPECT_EQ(mixed->alternatives[1]->enum_values, (std::vector<std::string>{"auto", "none"}));
  EXPECT_EQ(mixed->alternatives[2]->kind, TypeKind::kBool);
  EXPECT_EQ(mixed->Describe(), "Mixed");
  EXPECT_EQ(mixed->alternatives[1]->Describe(), "\"auto\" | \"none\"");

  const Type* single = set->FindType("Single");
  EXPECT_EQ(single->kind, TypeKind::kEnum);
  EXPECT_EQ(single->enum_values, std::vector<std::string>{"Only"});

  EXPECT_EQ(set->FindType("Alias"), ios);  // an alias is the same type
  EXPECT_EQ(set->FindType("Paren")->kind, TypeKind::kUnion);
}

TEST(ParserTest, BuiltinTypesAndRefinements) {
  auto set = Load(R"(
type T = {
  a?: any
  b?: bool
  i?: int
  neg?: int(-10..-1)
  upto?: int(..10)
  named?: int(min: 2, max: 4)
  f?: float
  s?: string(pattern: "[a-z]+", minLen: 1, maxLen: 63)
  dns?: string(format: dns1123label)
  q?: quantity
  d?: duration
  l?: list<string>
  lk?: list<Item> keyed name
  lm?: list<int>(minItems: 1, maxItems: 3)
  lmk?: list<Item>(minItems: 1) keyed name
  m?: map<string, int>
  mi?: map<string, Item>(maxItems: 2)
  nested?: list<map<string, list<int>>>
}
type Item = { name: string, value?: int }
)");
  const Type* t = set->FindType("T");
  EXPECT_EQ(FieldOf(t, "a").type->kind, TypeKind::kAny);
  EXPECT_EQ(FieldOf(t, "b").type->kind, TypeKind::kBool);
  EXPECT_EQ(FieldOf(t, "i").type->Describe(), "integer");
  EXPECT_EQ(FieldOf(t, "neg").type->Describe(), "integer(-10..-1)");
  EXPECT_EQ(FieldOf(t, "upto").type->Describe(), "integer(..10)");
  EXPECT_EQ(FieldOf(t, "named").type->Describe(), "integer(2..4)");
  EXPECT_EQ(FieldOf(t, "f").type->kind, TypeKind::kFloat);
  const Type* s = FieldOf(t, "s").type;
  EXPECT_EQ(s->refine.pattern, "[a-z]+");
  EXPECT_EQ(s->refine.min_len, 1u);
  EXPECT_EQ(s->refine.max_len, 63u);
  EXPECT_EQ(s->Describe(), "string(pattern: \"[a-z]+\", minLen: 1, maxLen: 63)");
  EXPECT_EQ(FieldOf(t, "dns").type->refine.format, StringFormat::kDns1123Label);
  EXPECT_EQ(FieldOf(t, "q").type->kind, TypeKind::kQuantity);
  EXPECT_EQ(FieldOf(t, "d").type->kind, TypeKind::kDuration);
  EXPECT_EQ(FieldOf(t, "l").type->Describe(), "list<string>");
  const Type* lk = FieldOf(t, "lk").type;
  EXPECT_EQ(lk->kind, TypeKind::kList);
  EXPECT_EQ(lk->element, set->FindType("Item"));
  EXPECT_EQ(lk->list_key, "name");
  EXPECT_EQ(lk->Describe(), "list<Item> keyed name");
  const Type* lm = FieldOf(t, "lm").type;
  EXPECT_EQ(lm->refine.min_items, 1u);
  EXPECT_EQ(lm->refine.max_items, 3u);
  EXPECT_EQ(FieldOf(t, "lmk").type->list_key, "name");
  EXPECT_EQ(FieldOf(t, "lmk").type->refine.min_items, 1u);
  const Type* m = FieldOf(t, "m").type;
  EXPECT_EQ(m->kind, TypeKind::kMap);
  EXPECT_EQ(m->key->kind, TypeKind::kString);
  EXPECT_EQ(m->element->kind, TypeKind::kInt);
  EXPECT_EQ(m->Describe(), "map<string, integer>");
  EXPECT_EQ(FieldOf(t, "mi").type->refine.max_items, 2u);
  EXPECT_EQ(FieldOf(t, "nested").type->Describe(), "list<map<string, list<integer>>>");
}

TEST(ParserTest, DefaultsWhenAndSiblingReferences) {
  auto set = Load(R"(
type RollingUpdateDeployment = {
  maxUnavailable?: IntOrPercent = "25%"
  maxSurge?: IntOrPercent = "25%"
} where !(maxUnavailable == 0 && maxSurge == 0) : "maxSurge and maxUnavailable may not both be 0"

type DeploymentStrategy = {
  type?: "Recreate" | "RollingUpdate" = "RollingUpdate"
  rollingUpdate?: RollingUpdateDeployment = {} when type == "RollingUpdate"
}
type ServicePort = { port: int, targetPort?: IntOrString = port }
type IntOrString = int | string
type IntOrPercent = int(0..) | string(format: percent)
)");
  const Type* ru = set->FindType("RollingUpdateDeployment");
  ASSERT_EQ(ru->constraints.size(), 1u);
  EXPECT_EQ(ru->constraints[0].message, "maxSurge and maxUnavailable may not both be 0");
  EXPECT_EQ(ExprToString(*ru->constraints[0].expr), "!(maxUnavailable == 0 && maxSurge == 0)");
  EXPECT_EQ(ru->constraints[0].pos.ToString(), "test.gorch:5:3");
  EXPECT_EQ(EvalDefault(FieldOf(ru, "maxSurge")), Value::String("25%"));

  const Type* ds = set->FindType("DeploymentStrategy");
  const Field& type = FieldOf(ds, "type");  // a keyword as a field name
  EXPECT_EQ(type.type->kind, TypeKind::kEnum);
  const Field& ru_field = FieldOf(ds, "rollingUpdate");
  EXPECT_EQ(ru_field.type, ru);
  EXPECT_EQ(EvalDefault(ru_field), Value::MakeMap());
  ASSERT_NE(ru_field.default_when, nullptr);
  Value recreate = Value::MakeMap({{"type", Value::String("Recreate")}});
  Value rolling = Value::MakeMap({{"type", Value::String("RollingUpdate")}});
  EXPECT_FALSE(*EvaluateBool(*ru_field.default_when, EvalScope{&recreate, {}}));
  EXPECT_TRUE(*EvaluateBool(*ru_field.default_when, EvalScope{&rolling, {}}));

  const Field& target = FieldOf(set->FindType("ServicePort"), "targetPort");
  Value port = Value::MakeMap({{"port", Value::Int(80)}});
  EXPECT_EQ(EvalDefault(target, port), Value::Int(80));
}

TEST(ParserTest, RefsWithOptionalIf) {
  auto set = Load(R"(
type ConfigMapKeySelector = {
  name?: ref<ConfigMap>(optionalIf: optional == true)
  key: string
  optional?: bool
}
kind ConfigMap "v1" { data?: map<string, string> }
)");
  const Type* sel = set->FindType("ConfigMapKeySelector");
  const Type* ref = FieldOf(sel, "name").type;
  EXPECT_EQ(ref->kind, TypeKind::kRef);
  EXPECT_EQ(ref->ref_kind, "ConfigMap");
  EXPECT_EQ(ref->Describe(), "ref<ConfigMap>");
  ASSERT_NE(ref->refine.optional_if, nullptr);
  Value optional = Value::MakeMap({{"optional", Value::Bool(true)}});
  EXPECT_TRUE(*EvaluateBool(*ref->refine.optional_if, EvalScope{&optional, {}}));
}

TEST(ParserTest, KindsModifiersAndDeprecations) {
  auto set = Load(R"(
/// A kind at one apiVersion.
kind Deployment "apps/v1" {
  spec?: DeploymentSpec
  status?: any
} where !has(spec) || spec.replicas >= 0 : "replicas must not be negative"
type DeploymentSpec = { replicas?: int = 1 }
kind Namespace "v1" cluster { spec?: any  status?: any }
kind ServiceAccount "v1" passive { ... }
kind Both "example.com/v1alpha1" cluster passive {}
deprecated Deployment "extensions/v1beta1" -> "apps/v1"
)");
  const KindSchema* d = set->Find("apps/v1", "Deployment");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, "Deployment");
  EXPECT_EQ(d->api_version, "apps/v1");
  EXPECT_TRUE(d->namespaced);
  EXPECT_TRUE(d->runs);
  EXPECT_EQ(d->pos.ToString(), "test.gorch:3:6");
  ASSERT_NE(d->body, nullptr);
  EXPECT_EQ(d->body->kind, TypeKind::kRecord);
  EXPECT_EQ(FieldOf(d->body, "spec").type, set->FindType("DeploymentSpec"));
  ASSERT_EQ(d->body->constraints.size(), 1u);

  const KindSchema* ns = set->Find("v1", "Namespace");
  ASSERT_NE(ns, nullptr);
  EXPECT_FALSE(ns->namespaced);
  EXPECT_TRUE(ns->runs);
  EXPECT_EQ(ns->body->fields.size(), 2u);  // commas are optional, even on one line

  const KindSchema* sa = set->Find("v1", "ServiceAccount");
  ASSERT_NE(sa, nullptr);
  EXPECT_FALSE(sa->runs);
  EXPECT_TRUE(sa->namespaced);
  EXPECT_TRUE(sa->body->open);
  EXPECT_TRUE(sa->body->fields.empty());

  const KindSchema* both = set->Find("example.com/v1alpha1", "Both");
  ASSERT_NE(both, nullptr);
  EXPECT_FALSE(both->namespaced);
  EXPECT_FALSE(both->runs);

  EXPECT_EQ(set->Find("apps/v1", "Nope"), nullptr);
  EXPECT_EQ(set->Find("v2", "Deployment"), nullptr);
  EXPECT_EQ(set->Replacement("extensions/v1beta1", "Deployment"), "apps/v1");
  EXPECT_FALSE(set->Replacement("apps/v1", "Deployment").has_value());
  ASSERT_EQ(set->FindAllVersions("Deployment").size(), 1u);
  EXPECT_EQ(set->kinds().size(), 4u);
}

TEST(ParserTest, OpenRecordsQuotedNamesCommasAndTrailingCommas) {
  auto set = Load(R"(
type T = { a?: int, b?: string, }
type U = {
  "x-kubernetes-foo"?: string
  "with space": int,
  ...
}
type V = {}
)");
  EXPECT_EQ(set->FindType("T")->fields.size(), 2u);
  const Type* u = set->FindType("U");
  EXPECT_TRUE(u->open);
  EXPECT_FALSE(FieldOf(u, "x-kubernetes-foo").required);
  EXPECT_TRUE(FieldOf(u, "with space").required);
  EXPECT_TRUE(set->FindType("V")->fields.empty());
  EXPECT_FALSE(set->FindType("V")->open);
}

TEST(ParserTest, KeywordsAreFieldNames) {
  auto set = Load(R"(
type T = {
  type?: string
  kind?: string
  in?: int
  where?: int
  when?: int = 1 when kind == "x"
  self?: bool
  keyed?: list<int>
  policy?: string
  deprecated?: bool
  cluster?: bool
  passive?: bool
  null?: int
}
)");
  const Type* t = set->FindType("T");
  EXPECT_EQ(t->fields.size(), 12u);
  const Field& when = FieldOf(t, "when");
  ASSERT_NE(when.default_when, nullptr);
  EXPECT_EQ(ExprToString(*when.default_when), "kind == \"x\"");
}

TEST(ParserTest, RecursionAndAnyOrderAcrossFiles) {
  SchemaSet set;
  Diagnostics diags;
  set.AddFile("b.gorch", "type Tree = { value?: int, children?: list<Tree>, meta?: Meta }", diags);
  set.AddFile("a.gorch", "type Meta = { owner?: Tree }", diags);
  ASSERT_TRUE(set.Finalize(diags)) << Errors(diags);
  const Type* tree = set.FindType("Tree");
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(FieldOf(tree, "children").type->element, tree);
  EXPECT_EQ(FieldOf(FieldOf(tree, "meta").type, "owner").type, tree);
  EXPECT_EQ(set.types().size(), 2u);
  EXPECT_EQ(set.types()[0], tree);  // declaration (AddFile) order
}

TEST(ParserTest, LargeRecordsAreIndexed) {
  std::string text = "type Big = {\n";
  for (int i = 0; i < 40; ++i) text += "  f" + std::to_string(i) + "?: int\n";
  text += "}\n";
  auto set = Load(text);
  const Type* big = set->FindType("Big");
  EXPECT_EQ(big->field_index.size(), 40u);
  for (int i = 0; i < 40; ++i) {
    const Field* f = big->FindField("f" + std::to_string(i));
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->name, "f" + std::to_string(i));
  }
  EXPECT_EQ(big->FindField("f40"), nullptr);
  EXPECT_EQ(big->FindField(""), nullptr);
}

TEST(ParserTest, CommentsEverywhere) {
  auto set = Load(R"(/* leading
block */ type /* inline */ T = { // trailing
  a?: int /* after a type */ = /* before a default */ 3
}
// at the end, without a newline)");
  EXPECT_EQ(EvalDefault(FieldOf(set->FindType("T"), "a")), Value::Int(3));
}

TEST(ParserTest, StringEscapesInSchemas) {
  auto set = Load(R"(
type T = {
  a?: string = "q\"b\\s\/\n\t\r\u00e9\ud83d\ude00"
  "k\u0041"?: int
}
)");
  const Type* t = set->FindType("T");
  EXPECT_EQ(EvalDefault(FieldOf(t, "a")).as_string(),
            "q\"b\\s/\n\t\r\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_NE(t->FindField("kA"), nullptr);
}

TEST(ParserTest, ExprToStringRoundTrips) {
  const char* exprs[] = {
      "a + b * c",
      "(a + b) * c",
      "a - (b - c)",
      "!(a && b) || c",
      "a ? b : c ? d : e",
      "(a ? b : c) ? d : e",
      "-x.y",
      "s.startsWith(\"x\") && len(l) > 0",
      "all(c in containers : c.image.contains(\":\"))",
      "m[\"a-b\"].c[0]",
      "{\"k\": [1, 2.5, true, null]}",
      "x in [\"a\", \"b\"]",
      "has(a.b)",
      "self.a",
  };
  for (const char* text : exprs) {
    Diagnostics diags;
    auto e = ParseExpression(text, "t", diags);
    ASSERT_TRUE(e.ok()) << text << ": " << Errors(diags);
    std::string printed = ExprToString(**e);
    EXPECT_EQ(printed, text);
    Diagnostics again;
    auto e2 = ParseExpression(printed, "t", again);
    ASSERT_TRUE(e2.ok()) << printed;
    EXPECT_EQ(ExprToString(**e2), printed);
  }
}

TEST(ParseExpressionTest, EmbeddedPositionsAreOffset) {
  Diagnostics diags;
  auto e = ParseExpression("a +\n  b", SourcePos{InternFileName("policy.yaml"), 10, 14}, diags);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->pos.ToString(), "policy.yaml:10:16");        // the '+'
  EXPECT_EQ((*e)->args[1]->pos.ToString(), "policy.yaml:11:3");  // later lines start at col 1
}

TEST(ParseExpressionTest, ResolvesFunctionsAndVariablesAtParseTime) {
  Diagnostics diags;
  auto e = ParseExpression("all(x in l : x.startsWith(y))", "t", diags);
  ASSERT_TRUE(e.ok());
  const Expr& q = **e;
  EXPECT_EQ(q.kind, ExprKind::kQuantifier);
  EXPECT_EQ(q.fn, Builtin::kAll);
  EXPECT_EQ(q.name, "x");
  EXPECT_EQ(q.slot, 0);
  const Expr& call = *q.args[1];
  EXPECT_EQ(call.kind, ExprKind::kCall);
  EXPECT_EQ(call.fn, Builtin::kStartsWith);
  EXPECT_TRUE(call.method_syntax);
  EXPECT_EQ(call.args[0]->slot, 0);   // x: the quantifier's variable
  EXPECT_EQ(call.args[1]->slot, -1);  // y: a field
}

}  // namespace
}  // namespace gorch::lang

// Policy declarations: parsing, settings, rules, message templates, and errors
// at file:line:col.
#include <gtest/gtest.h>

#include "gorch/lang/policy.h"
#include "gorch/lang/types.h"

namespace gorch::lang {
namespace {

std::vector<Policy> Parse(std::string_view text, Diagnostics& diags) {
  return ParsePolicyFile("p.gorch", text, diags);
}

std::string Errors(const Diagnostics& diags) {
  std::string out;
  for (const auto& d : diags.all()) out += d.ToString() + "\n";
  return out;
}

TEST(PolicyParser, ParsesSettingsLetsAndRules) {
  Diagnostics diags;
  auto policies = Parse(R"P(
/// Floating tags.
policy "latest-tag" {
  severity: error
  description: "finds floating tags"
  remediation: "pin a tag"
  kinds: ["Deployment", "Pod"]
  namespaces: ["prod"]
  labels: {team: "web"}
  enabled: false
  let n = len(containers)
  for c in containers
    deny c.image.endsWith(":latest") at c.image : "container \"{c.name}\" uses {c.image} ({n})"
  deny n == 0 : "no containers"
}
)P",
                        diags);
  ASSERT_EQ(diags.all().size(), 0u) << Errors(diags);
  ASSERT_EQ(policies.size(), 1u);
  const Policy& p = policies[0];
  EXPECT_EQ(p.name, "latest-tag");
  EXPECT_EQ(p.doc, "Floating tags.");
  EXPECT_EQ(p.severity, Severity::kError);
  EXPECT_EQ(p.description, "finds floating tags");
  EXPECT_EQ(p.remediation, "pin a tag");
  EXPECT_EQ(p.kinds, (std::vector<std::string>{"Deployment", "Pod"}));
  EXPECT_EQ(p.namespaces, (std::vector<std::string>{"prod"}));
  ASSERT_EQ(p.labels.size(), 1u);
  EXPECT_EQ(p.labels[0].first, "team");
  EXPECT_FALSE(p.enabled);
  EXPECT_EQ(p.pos.line, 3u);
  ASSERT_EQ(p.steps.size(), 3u);
  ASSERT_TRUE(std::holds_alternative<PolicyLet>(p.steps[0]));
  EXPECT_EQ(std::get<PolicyLet>(p.steps[0]).name, "n");
  const auto& rule = std::get<PolicyRule>(p.steps[1]);
  ASSERT_EQ(rule.loops.size(), 1u);
  EXPECT_EQ(rule.loops[0].var, "c");
  EXPECT_EQ(ExprToString(*rule.condition), "c.image.endsWith(\":latest\")");
  ASSERT_NE(rule.at, nullptr);
  EXPECT_EQ(ExprToString(*rule.at), "c.image");
  // "container \"", {c.name}, "\" uses ", {c.image}, " (", {n}, ")"
  ASSERT_EQ(rule.message.parts.size(), 7u);
  EXPECT_EQ(rule.message.parts[0].text, "container \"");
  ASSERT_NE(rule.message.parts[1].expr, nullptr);
  EXPECT_EQ(ExprToString(*rule.message.parts[1].expr), "c.name");
  // The placeholder's position is inside the message: line 13, after `{`.
  EXPECT_EQ(rule.message.parts[1].expr->pos.line, 13u);
  EXPECT_EQ(rule.message.parts[2].text, "\" uses ");
  EXPECT_EQ(std::get<PolicyRule>(p.steps[2]).loops.size(), 0u);
}

TEST(PolicyParser, KeywordsStayUsableAsFieldNames) {
  Diagnostics diags;
  auto policies = Parse(R"P(policy "x" {
  description: "d"
  deny self.for == 1 || at.deny == let.at || has(spec.policy) : "m {{literal}}"
})P",
                        diags);
  ASSERT_EQ(diags.all().size(), 0u) << Errors(diags);
  ASSERT_EQ(policies.size(), 1u);
  EXPECT_EQ(std::get<PolicyRule>(policies[0].steps[0]).message.parts[0].text, "m {literal}");
}

TEST(PolicyParser, NestedLoops) {
  Diagnostics diags;
  auto policies = Parse(R"P(policy "ssh" {
  description: "d"
  for c in containers for p in c.ports deny p.containerPort == 22 at p : "{c.name}:{p.containerPort}"
})P",
                        diags);
  ASSERT_EQ(diags.all().size(), 0u) << Errors(diags);
  const auto& rule = std::get<PolicyRule>(policies[0].steps[0]);
  ASSERT_EQ(rule.loops.size(), 2u);
  EXPECT_EQ(ExprToString(*rule.loops[1].list), "c.ports");
}

TEST(PolicyParser, SyntaxErrorPointsAtFileLineCol) {
  Diagnostics diags;
  auto policies = Parse("policy \"a\" {\n  description: \"d\"\n  deny x == : \"m\"\n}\n"
                        "policy \"b\" {\n  description: \"d\"\n  deny y : \"m\"\n}\n",
                        diags);
  ASSERT_GE(diags.all().size(), 1u);
  EXPECT_EQ(diags.all()[0].pos.ToString(), "p.gorch:3:13") << Errors(diags);
  EXPECT_EQ(diags.all()[0].code, "syntax");
  // The next declaration still loads.
  ASSERT_EQ(policies.size(), 1u);
  EXPECT_EQ(policies[0].name, "b");
}

TEST(PolicyParser, BadSettingsAreReportedWhereWritten) {
  Diagnostics diags;
  auto policies = Parse(R"P(policy "a" {
  severity: fatal
  descripton: "x"
  kinds: "Pod"
  deny true : "m"
})P",
                        diags);
  EXPECT_TRUE(policies.empty());
  std::string all = Errors(diags);
  EXPECT_NE(all.find("p.gorch:2:13: error[policy]: severity must be error, warning or info"), std::string::npos) << all;
  EXPECT_NE(all.find("p.gorch:3:3: error[policy]: unknown policy setting 'descripton' (did you mean 'description'?)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("p.gorch:4:10: error[policy]: setting 'kinds' needs a list of strings"), std::string::npos) << all;
  EXPECT_NE(all.find("needs a description"), std::string::npos) << all;
}

TEST(PolicyParser, BadNamesDuplicatesAndMissingRules) {
  Diagnostics diags;
  auto policies = Parse(R"P(policy "Bad_Name" { description: "d" deny true : "m" }
policy "ok" { description: "d" deny true : "m" }
policy "ok" { description: "d" deny true : "m" }
policy "empty" { description: "d" }
type T = int
)P",
                        diags);
  ASSERT_EQ(policies.size(), 1u);
  std::string all = Errors(diags);
  EXPECT_NE(all.find("p.gorch:1:8: error[policy]: policy name \"Bad_Name\" must be"), std::string::npos) << all;
  EXPECT_NE(all.find("p.gorch:3:8: error[policy]: duplicate policy \"ok\" (first declared at p.gorch:2:1)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("p.gorch:4:1: error[policy]: policy \"empty\" has no rule"), std::string::npos) << all;
  EXPECT_NE(all.find("p.gorch:5:1: error[policy]: a policy file holds only policy declarations"), std::string::npos)
      << all;
}

TEST(PolicyParser, TemplateErrorsPointInsideTheMessage) {
  Diagnostics diags;
  Parse("policy \"a\" {\n  description: \"d\"\n  deny true : \"x {c.} y\"\n}\n", diags);
  ASSERT_GE(diags.all().size(), 1u);
  EXPECT_EQ(diags.all()[0].pos.line, 3u);
  EXPECT_GE(diags.all()[0].pos.col, 17u) << Errors(diags);
  Diagnostics d2;
  Parse("policy \"a\" {\n  description: \"d\"\n  deny true : \"x {unclosed\"\n}\n", d2);
  ASSERT_EQ(d2.all().size(), 1u);
  EXPECT_EQ(d2.all()[0].ToString(), "p.gorch:3:18: error[policy]: unclosed '{' in message (write '{{' for a brace)");
}

TEST(PolicyParser, FreeNamesSkipQuantifierVariables) {
  Diagnostics diags;
  auto e = ParseExpression("all(x in containers : x.image != bad) && spec.replicas > 1", "e", diags);
  ASSERT_TRUE(e.ok());
  std::vector<std::string> names;
  ForEachFreeName(**e, [&](const std::string& n, SourcePos) { names.push_back(n); });
  EXPECT_EQ(names, (std::vector<std::string>{"containers", "bad", "spec"}));
}

TEST(PolicyParser, SchemaFilesRejectPolicies) {
  SchemaSet set;
  Diagnostics diags;
  set.AddFile("s.gorch", "type A = int\npolicy \"x\" { description: \"d\" deny true : \"m\" }\n", diags);
  ASSERT_EQ(diags.all().size(), 1u);
  EXPECT_EQ(diags.all()[0].pos.line, 2u);
  EXPECT_NE(diags.all()[0].message.find("policies belong in policy files"), std::string::npos);
}

}  // namespace
}  // namespace gorch::lang

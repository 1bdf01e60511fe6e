// The lint engine over compiled in-memory sources: rules, loops, lets, graph
// bindings, waivers, config, name checks and evaluation errors.
#include <gtest/gtest.h>

#include "gorch/compiler/compile.h"
#include "gorch/policy/lint.h"
#include "gorch/policy/policy_set.h"

namespace gorch::policy {
namespace {

const lang::SchemaSet& Schemas() {
  static auto* s = [] {
    lang::Diagnostics d;
    return lang::LoadSchemas({}, d).release();
  }();
  return *s;
}

std::string All(const lang::Diagnostics& diags) {
  std::string out;
  for (const auto& d : diags.all()) out += d.ToString() + "\n";
  return out;
}

struct Linted {
  compiler::CompileResult compiled;
  LintResult result;
  std::vector<std::string> lines;  // "line:col check: message"
};

Linted LintText(const std::string& manifests, PolicySet& set) {
  Linted l;
  auto source = compiler::MakeMemorySource({{"m.yaml", manifests}});
  compiler::CompileOptions options;
  options.allow_external_refs = true;
  l.compiled = compiler::CompileSource(*source, Schemas(), options);
  l.result = Lint(l.compiled.state, {}, set, LintOptions{1});
  for (const Finding& f : l.result.findings)
    l.lines.push_back(std::to_string(f.pos.line) + ":" + std::to_string(f.pos.col) + " " + f.check + ": " + f.message);
  return l;
}

PolicySet Policies(const std::string& text, lang::Diagnostics& diags, bool builtin = false) {
  PolicySet set;
  if (builtin) set.AddBuiltin(diags);
  set.AddFile("p.gorch", text, diags);
  set.Finalize(Schemas(), diags);
  return set;
}

constexpr const char* kPods = R"(apiVersion: v1
kind: Pod
metadata:
  name: a
  labels: {app: a}
spec:
  containers:
  - name: one
    image: nginx:latest
  - name: two
    image: nginx:1.2
---
apiVersion: v1
kind: Pod
metadata:
  name: b
  annotations:
    ignore-check.gorch.dev/floating: "pinned by the operator"
spec:
  containers:
  - name: one
    image: busybox
)";

constexpr const char* kFloating = R"(policy "floating" {
  severity: error
  description: "floating tags"
  remediation: "pin"
  kinds: ["Pod"]
  let n = len(containers)
  for c in containers
    deny c.image.endsWith(":latest") at c.image : "container {c.name} of {n} uses {c.image}"
})";

TEST(Lint, LoopsLetsPlaceholdersAndPositions) {
  lang::Diagnostics diags;
  PolicySet set = Policies(kFloating, diags);
  ASSERT_FALSE(diags.HasErrors()) << All(diags);
  Linted l = LintText(kPods, set);
  // Pod b is waived; pod a's first container is found at its image value.
  ASSERT_EQ(l.lines, (std::vector<std::string>{"9:12 floating: container one of 2 uses nginx:latest"}));
  EXPECT_EQ(l.result.findings[0].severity, lang::Severity::kError);
  EXPECT_EQ(l.result.findings[0].resource.ToString(), "Pod/default/a");
  EXPECT_EQ(l.result.resources, 2u);
}

TEST(Lint, WaiverWithoutReasonIsAFindingAndDoesNotApply) {
  lang::Diagnostics diags;
  PolicySet set = Policies(kFloating, diags);
  std::string text = kPods;
  text.replace(text.find("\"pinned by the operator\""), 24, "\"\"");
  text.replace(text.find("image: busybox"), 14, "image: busybox:latest");
  Linted l = LintText(text, set);
  ASSERT_EQ(l.lines.size(), 3u) << ::testing::PrintToString(l.lines);
  EXPECT_NE(l.lines[1].find("invalid-waiver: waiver of \"floating\" has no reason"), std::string::npos) << l.lines[1];
  EXPECT_EQ(l.lines[1].substr(0, 6), "18:38 ");
  EXPECT_NE(l.lines[2].find("floating: container one of 1 uses busybox:latest"), std::string::npos);
}

TEST(Lint, WaiverNamingNoCheckIsAWarningWithASuggestion) {
  lang::Diagnostics diags;
  PolicySet set = Policies(kFloating, diags);
  std::string text = kPods;
  text.replace(text.find("gorch.dev/floating"), 18, "gorch.dev/floatin");
  Linted l = LintText(text, set);
  bool found = false;
  for (const Finding& f : l.result.findings) {
    if (f.check != kInvalidWaiverCheck) continue;
    found = true;
    EXPECT_EQ(f.severity, lang::Severity::kWarning);
    EXPECT_NE(f.message.find("did you mean 'floating'?"), std::string::npos) << f.message;
  }
  EXPECT_TRUE(found);
}

TEST(Lint, ConfigTurnsChecksOffAndOnAndOverridesSeverity) {
  lang::Diagnostics diags;
  PolicySet set = Policies(std::string(kFloating) + R"(
policy "optional" {
  enabled: false
  description: "off by default"
  deny kind == "Pod" : "a pod"
})",
                           diags);
  ASSERT_FALSE(diags.HasErrors()) << All(diags);
  LintConfig config = ParseLintConfig("lint.yaml", R"(checks:
  include: [optional]
  severity: {floating: info}
)",
                                      diags);
  ASSERT_TRUE(set.ApplyConfig(config, diags)) << All(diags);
  Linted l = LintText(kPods, set);
  ASSERT_EQ(l.result.findings.size(), 3u);
  for (const Finding& f : l.result.findings)
    if (f.check == "floating") {
      EXPECT_EQ(f.severity, lang::Severity::kInfo);
    }
  LintConfig off = ParseLintConfig("lint.yaml", "checks:\n  exclude: [floating, optional]\n", diags);
  ASSERT_TRUE(set.ApplyConfig(off, diags));
  EXPECT_TRUE(LintText(kPods, set).result.findings.empty());
}

TEST(Lint, ConfigErrorsPointAtTheConfigFile) {
  lang::Diagnostics diags;
  PolicySet set = Policies(kFloating, diags);
  LintConfig config = ParseLintConfig("lint.yaml", "checks:\n  exclude: [flaoting]\n  ignore: []\n", diags);
  EXPECT_FALSE(set.ApplyConfig(config, diags));
  std::string all = All(diags);
  EXPECT_NE(all.find("lint.yaml:3:11: error[lint-config]: unknown key \"checks.ignore\""), std::string::npos) << all;
  EXPECT_NE(all.find("lint.yaml:2:13: error[lint-config]: no check named \"flaoting\" (did you mean 'floating'?)"),
            std::string::npos)
      << all;
}

TEST(Lint, UnknownNamesAndKindsAreTypeErrorsAtTheirPosition) {
  lang::Diagnostics diags;
  Policies(R"(policy "x" {
  description: "d"
  kinds: ["Deploymnet"]
  for c in contianers deny c.image == "" : "m"
  deny spec.replicas > 1 && podSpek == null : "m"
})",
           diags);
  std::string all = All(diags);
  EXPECT_NE(all.find("p.gorch:3:10: error[policy]: policy \"x\" matches unknown kind \"Deploymnet\" (did you mean "
                     "'Deployment'?)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("p.gorch:4:12: error[policy]: unknown name 'contianers' in policy \"x\" (did you mean "
                     "'containers'?)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("p.gorch:5:29: error[policy]: unknown name 'podSpek'"), std::string::npos) << all;
}

TEST(Lint, ShadowingANameIsAnError) {
  lang::Diagnostics diags;
  Policies("policy \"x\" {\n  description: \"d\"\n  let containers = 1\n  deny containers == 1 : \"m\"\n}\n", diags);
  EXPECT_NE(All(diags).find("p.gorch:3:3: error[policy]: 'containers' is already defined"), std::string::npos)
      << All(diags);
}

TEST(Lint, EvaluationErrorsAreReportedOncePerPositionWithACount) {
  lang::Diagnostics diags;
  PolicySet set = Policies(R"(policy "bad" {
  description: "d"
  kinds: ["Pod"]
  deny metadata.name < 3 : "m"
})",
                           diags);
  ASSERT_FALSE(diags.HasErrors()) << All(diags);
  Linted l = LintText(kPods, set);
  ASSERT_EQ(l.result.diags.all().size(), 1u) << All(l.result.diags);
  const auto& d = l.result.diags.all()[0];
  EXPECT_EQ(d.pos.ToString(), "p.gorch:4:22");
  EXPECT_EQ(d.code, "policy-eval");
  EXPECT_NE(d.message.find("(and 1 more resources)"), std::string::npos) << d.message;
}

TEST(Lint, GraphBindingsFollowEdges) {
  lang::Diagnostics diags;
  PolicySet set = Policies(R"(policy "lonely" {
  description: "d"
  kinds: ["Service"]
  deny len(selects) == 0 : "selects nothing"
}
policy "reached" {
  description: "d"
  kinds: ["Pod"]
  for s in selectedBy deny true : "{name} selected by {s.kind} {s.metadata.name}"
}
policy "users" {
  description: "d"
  kinds: ["ConfigMap"]
  deny len(usedBy) > 0 : "{name} used by {usedBy[0].metadata.name}"
})",
                           diags);
  ASSERT_FALSE(diags.HasErrors()) << All(diags);
  Linted l = LintText(R"(apiVersion: v1
kind: Pod
metadata: {name: p, labels: {app: p}}
spec:
  containers: [{name: c, image: x:1, envFrom: [{configMapRef: {name: cfg}}]}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
---
apiVersion: v1
kind: Service
metadata: {name: s}
spec: {selector: {app: p}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: t}
spec: {selector: {app: q}, ports: [{port: 80}]}
)",
                      set);
  std::vector<std::string> messages;
  for (const Finding& f : l.result.findings) messages.push_back(f.check + ": " + f.message);
  std::sort(messages.begin(), messages.end());
  EXPECT_EQ(messages, (std::vector<std::string>{"lonely: selects nothing", "reached: p selected by Service s",
                                                "users: cfg used by p"}));
}

TEST(Lint, TheBuiltinPackLoadsWithThirtyChecks) {
  lang::Diagnostics diags;
  PolicySet set;
  ASSERT_TRUE(set.AddBuiltin(diags)) << All(diags);
  ASSERT_TRUE(set.Finalize(Schemas(), diags)) << All(diags);
  EXPECT_GE(set.checks().size(), 30u);
  for (const char* name :
       {"dangling-service", "deprecated-service-account-field", "docker-sock", "drop-net-raw-capability",
        "duplicate-env-var", "env-var-secret", "host-ipc", "host-network", "host-pid", "invalid-target-ports",
        "latest-tag", "liveness-port", "mismatching-selector", "no-anti-affinity", "no-extensions-v1beta",
        "no-read-only-root-fs", "non-existent-service-account", "pdb-max-unavailable", "pdb-min-available",
        "pdb-unhealthy-pod-eviction-policy", "privilege-escalation-container", "privileged-container",
        "readiness-port", "run-as-non-root", "sensitive-host-mounts", "ssh-port", "startup-port", "unsafe-sysctls",
        "unset-cpu-requirements", "unset-memory-requirements"}) {
    const Check* c = set.Find(name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_TRUE(c->builtin);
    EXPECT_TRUE(c->enabled) << name;
    EXPECT_FALSE(c->policy.description.empty()) << name;
    EXPECT_FALSE(c->policy.remediation.empty()) << name;
  }
}

TEST(Lint, ManyResourcesInParallelGiveTheSameFindingsAsOneThread) {
  lang::Diagnostics diags;
  PolicySet set;
  set.AddBuiltin(diags);
  set.Finalize(Schemas(), diags);
  std::string text;
  for (int i = 0; i < 600; ++i)
    text += "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p" + std::to_string(i) +
            "}\nspec:\n  containers: [{name: c, image: nginx}]\n";
  auto source = compiler::MakeMemorySource({{"m.yaml", text}});
  compiler::CompileOptions options;
  auto compiled = compiler::CompileSource(*source, Schemas(), options);
  LintResult one = Lint(compiled.state, {}, set, LintOptions{1});
  LintResult four = Lint(compiled.state, {}, set, LintOptions{4});
  ASSERT_EQ(one.findings.size(), four.findings.size());
  ASSERT_GT(one.findings.size(), 600u);
  for (size_t i = 0; i < one.findings.size(); ++i) {
    EXPECT_EQ(one.findings[i].pos, four.findings[i].pos);
    EXPECT_EQ(one.findings[i].check, four.findings[i].check);
  }
}

}  // namespace
}  // namespace gorch::policy

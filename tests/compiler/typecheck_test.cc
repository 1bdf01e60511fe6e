// Type checking and defaulting against the real embedded schemas
// (lang/schemas/*.gorch): one test per rule, plus the real-world corpus.
#include "gorch/compiler/typecheck.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "gorch/compiler/loader.h"
#include "gorch/lang/types.h"

namespace gorch::compiler {
namespace {

namespace fs = std::filesystem;
using lang::Value;
using ::testing::HasSubstr;

class TypeCheckTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    lang::Diagnostics diags;
    schemas_ = lang::LoadSchemas({}, diags).release();
    std::string all;
    for (const auto& d : diags.all()) all += d.ToString() + "\n";
    ASSERT_NE(schemas_, nullptr) << all;
  }
  static void TearDownTestSuite() {
    delete schemas_;
    schemas_ = nullptr;
  }

  // Parses one YAML document and type-checks it; diags_ gets every problem.
  CheckedManifest Check(std::string_view yaml) {
    lang::Diagnostics parse_diags;
    auto manifests = ParseYaml("test.yaml", yaml, LoadOptions{}, parse_diags);
    EXPECT_FALSE(parse_diags.HasErrors()) << Render(parse_diags);
    EXPECT_EQ(manifests.size(), 1u);
    if (manifests.empty()) return {};
    return TypeCheck(*schemas_, std::move(manifests[0].doc), diags_);
  }

  static std::string Render(const lang::Diagnostics& diags) {
    std::string out;
    for (const auto& d : diags.all()) out += d.ToString() + "\n";
    return out;
  }
  std::string Rendered() const { return Render(diags_); }

  // The only error, which must have this code.
  const lang::Diagnostic& OnlyError(std::string_view code) {
    EXPECT_EQ(diags_.error_count(), 1u) << Rendered();
    for (const auto& d : diags_.all())
      if (d.severity == lang::Severity::kError) {
        EXPECT_EQ(d.code, code) << d.ToString();
        return d;
      }
    static lang::Diagnostic none;
    ADD_FAILURE() << "no error reported";
    return none;
  }

  static const Value& At(const CheckedManifest& m, std::string_view dotted) {
    const Value* v = m.object.FindPath(dotted);
    static const Value kMissing = Value::String("<missing>");
    return v ? *v : kMissing;
  }

  static lang::SchemaSet* schemas_;
  lang::Diagnostics diags_;
};

lang::SchemaSet* TypeCheckTest::schemas_ = nullptr;

constexpr std::string_view kDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: localhost/busybox:1
          ports:
            - containerPort: 8080
)";

// ------------------------------------------------------------------ kinds

TEST_F(TypeCheckTest, ValidDeploymentHasNoProblems) {
  auto m = Check(kDeployment);
  EXPECT_TRUE(diags_.all().empty()) << Rendered();
  ASSERT_NE(m.schema, nullptr);
  EXPECT_EQ(m.schema->kind, "Deployment");
  EXPECT_EQ(m.schema->api_version, "apps/v1");
}

TEST_F(TypeCheckTest, UnknownKindSuggestsTheClosest) {
  auto m = Check("apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: x}\n");
  EXPECT_EQ(m.schema, nullptr);
  const auto& d = OnlyError("unknown-kind");
  EXPECT_THAT(d.message, HasSubstr("\"Deploymnet\""));
  EXPECT_THAT(d.message, HasSubstr("did you mean \"Deployment\"?"));
  EXPECT_EQ(d.pos.line, 2u);
  EXPECT_EQ(d.pos.col, 7u);
}

TEST_F(TypeCheckTest, UnknownKindNamesTheKnownKinds) {
  Check("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: x}\n");
  const auto& d = OnlyError("unknown-kind");
  EXPECT_THAT(d.message, HasSubstr("known kinds:"));
  EXPECT_THAT(d.message, HasSubstr("Deployment"));
  EXPECT_THAT(d.message, HasSubstr("--schema"));
}

TEST_F(TypeCheckTest, UnknownApiVersionOfAKnownKindListsVersions) {
  Check("apiVersion: apps/v2\nkind: Deployment\nmetadata: {name: x}\n");
  const auto& d = OnlyError("unknown-api-version");
  EXPECT_THAT(d.message, HasSubstr("\"apps/v2\""));
  EXPECT_THAT(d.message, HasSubstr("known: apps/v1"));
  EXPECT_EQ(d.pos.line, 1u);
}

TEST_F(TypeCheckTest, RemovedApiVersionNamesItsReplacement) {
  auto m = Check(
      "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: x}\n"
      "spec: {schedule: '* * * * *', jobTemplate: {}}\n");
  EXPECT_EQ(m.schema, nullptr);
  const auto& d = OnlyError("deprecated-api-version");
  EXPECT_EQ(d.message, "batch/v1beta1 CronJob is no longer served; use batch/v1");
  EXPECT_EQ(d.pos.line, 1u);
  EXPECT_EQ(d.pos.col, 13u);
}

TEST_F(TypeCheckTest, OldWorkloadApiVersionsPointToAppsV1) {
  for (const char* version : {"extensions/v1beta1", "apps/v1beta1", "apps/v1beta2"}) {
    lang::Diagnostics diags;
    auto manifests = ParseYaml(
        "t.yaml", std::string("apiVersion: ") + version + "\nkind: Deployment\nmetadata: {name: x}\n",
        LoadOptions{}, diags);
    ASSERT_EQ(manifests.size(), 1u);
    TypeCheck(*schemas_, std::move(manifests[0].doc), diags);
    ASSERT_EQ(diags.error_count(), 1u) << Render(diags);
    EXPECT_THAT(diags.all()[0].message, HasSubstr("use apps/v1")) << version;
  }
}

TEST_F(TypeCheckTest, ServedDeprecatedApiVersionIsAWarning) {
  auto m = Check(R"(apiVersion: autoscaling/v2beta2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 3
)");
  ASSERT_NE(m.schema, nullptr);
  EXPECT_FALSE(diags_.HasErrors()) << Rendered();
  ASSERT_EQ(diags_.warning_count(), 1u) << Rendered();
  EXPECT_EQ(diags_.all()[0].code, "deprecated-api-version");
  EXPECT_THAT(diags_.all()[0].message, HasSubstr("use autoscaling/v2"));
}

TEST_F(TypeCheckTest, MissingApiVersionAndKindAreBothReported) {
  Check("metadata: {name: x}\n");
  EXPECT_EQ(diags_.error_count(), 2u) << Rendered();
  EXPECT_THAT(Rendered(), HasSubstr("apiVersion: required field is missing"));
  EXPECT_THAT(Rendered(), HasSubstr("kind: required field is missing"));
}

TEST_F(TypeCheckTest, KindMustBeAString) {
  Check("apiVersion: v1\nkind: 3\nmetadata: {name: x}\n");
  const auto& d = OnlyError("type-mismatch");
  EXPECT_EQ(d.message, "kind: expected string, got integer 3");
}

TEST_F(TypeCheckTest, ManifestMustBeAMap) {
  TypeCheck(*schemas_, Value::MakeList({}, {lang::InternFileName("x.yaml"), 1, 1}), diags_);
  EXPECT_THAT(OnlyError("type-mismatch").message, HasSubstr("a manifest must be a map"));
}

// ------------------------------------------------------------------ metadata

TEST_F(TypeCheckTest, NameIsRequired) {
  Check("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b}\n");
  const auto& d = OnlyError("missing-field");
  EXPECT_EQ(d.message, "metadata.name: required field is missing");
  EXPECT_EQ(d.pos.line, 4u);  // the metadata map
}

TEST_F(TypeCheckTest, MissingMetadataIsReported) {
  Check("apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n");
  EXPECT_EQ(OnlyError("missing-field").message, "metadata.name: required field is missing");
}

TEST_F(TypeCheckTest, GenerateNameStandsInForName) {
  Check("apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: cfg-}\n");
  EXPECT_FALSE(diags_.HasErrors()) << Rendered();
}

TEST_F(TypeCheckTest, NamespaceDefaultsToDefault) {
  auto m = Check("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n");
  const Value& ns = At(m, "metadata.namespace");
  ASSERT_TRUE(ns.is_string());
  EXPECT_EQ(ns.as_string(), "default");
  EXPECT_TRUE(ns.defaulted());
}

TEST_F(TypeCheckTest, WrittenNamespaceIsKept) {
  auto m = Check("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: shop}\n");
  EXPECT_EQ(At(m, "metadata.namespace").as_string(), "shop");
  EXPECT_FALSE(At(m, "metadata.namespace").defaulted());
}

TEST_F(TypeCheckTest, ClusterScopedKindGetsNoNamespace) {
  auto m = Check("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n");
  EXPECT_TRUE(diags_.all().empty()) << Rendered();
  EXPECT_EQ(m.object.FindPath("metadata.namespace"), nullptr);
}

TEST_F(TypeCheckTest, NamespaceOnClusterScopedKindIsKeptAsWritten) {
  // The graph builder warns about it; the checker neither drops nor reports it.
  auto m = Check("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, namespace: x}\n");
  EXPECT_TRUE(diags_.all().empty()) << Rendered();
  EXPECT_EQ(At(m, "metadata.namespace").as_string(), "x");
}

TEST_F(TypeCheckTest, MetadataFieldsAreChecked) {
  Check("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, lables: {a: b}}\n");
  const auto& d = OnlyError("unknown-field");
  EXPECT_EQ(d.message, "metadata.lables: unknown field (did you mean \"labels\"?)");
}

TEST_F(TypeCheckTest, LabelValuesAreChecked) {
  Check("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  labels: {app: \"not ok!\"}\n");
  const auto& d = OnlyError("invalid-value");
  EXPECT_THAT(d.message, HasSubstr("metadata.labels[app]"));
  EXPECT_EQ(d.pos.line, 5u);
}

// ------------------------------------------------------------------ fields

TEST_F(TypeCheckTest, UnknownFieldSuggestsAndNamesThePath) {
  std::string yaml(kDeployment);
  yaml += "          imagePullPolcy: Always\n";
  Check(yaml);
  const auto& d = OnlyError("unknown-field");
  EXPECT_EQ(d.message,
            "spec.template.spec.containers[web].imagePullPolcy: unknown field "
            "(did you mean \"imagePullPolicy\"?)");
  EXPECT_EQ(d.pos.line, 17u);
}

TEST_F(TypeCheckTest, UnknownTopLevelField) {
  Check("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndat: {a: b}\n");
  EXPECT_EQ(OnlyError("unknown-field").message, "dat: unknown field (did you mean \"data\"?)");
}

TEST_F(TypeCheckTest, StringForIntegerIsATypeMismatch) {
  std::string yaml(kDeployment);
  yaml.replace(yaml.find("spec:\n  selector"), 5, "spec:\n  replicas: \"3\"");
  Check(yaml);
  const auto& d = OnlyError("type-mismatch");
  EXPECT_EQ(d.message, "spec.replicas: expected integer, got string \"3\"");
  EXPECT_EQ(d.pos.line, 6u);
  EXPECT_EQ(d.pos.col, 13u);
}

TEST_F(TypeCheckTest, NumberForStringIsATypeMismatch) {
  std::string yaml(kDeployment);
  yaml += "          env:\n            - {name: PORT, value: 8080}\n";
  Check(yaml);
  EXPECT_EQ(OnlyError("type-mismatch").message,
            "spec.template.spec.containers[web].env[PORT].value: expected string, got integer "
            "8080 (quote it to make it a string)");
}

TEST_F(TypeCheckTest, IntegralFloatIsAnInteger) {
  std::string yaml(kDeployment);
  yaml.replace(yaml.find("spec:\n  selector"), 5, "spec:\n  replicas: 3.0");
  auto m = Check(yaml);
  EXPECT_TRUE(diags_.all().empty()) << Rendered();
  ASSERT_TRUE(At(m, "spec.replicas").is_int());
  EXPECT_EQ(At(m, "spec.replicas").as_int(), 3);
}

TEST_F(TypeCheckTest, MissingRequiredFieldPointsAtTheEnclosingMap) {
  Check(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
)");
  const auto& d = OnlyError("missing-field");
  EXPECT_EQ(d.message, "spec.template.spec.containers[web].image: required field is missing");
  EXPECT_EQ(d.pos.line, 10u);
}

TEST_F(TypeCheckTest, EnumListsAllowedValuesAndSuggests) {
  std::string yaml(kDeployment);
  yaml.replace(yaml.find("      containers:"), 0, "      restartPolicy: always\n");
  Check(yaml);
  const auto& d = OnlyError("invalid-value");
  EXPECT_EQ(d.message,
            "spec.template.spec.restartPolicy: invalid value \"always\": must be one of "
            "\"Always\", \"OnFailure\", \"Never\" (did you mean \"Always\"?)");
}

TEST_F(TypeCheckTest, IntegerRangeIsChecked) {
  std::string yaml(kDeployment);
  yaml.replace(yaml.find("8080"), 4, "70000");
  Check(yaml);
  EXPECT_EQ(OnlyError("invalid-value").message,
            "spec.template.spec.containers[web].ports[0].containerPort: must be between 1 and "
            "65535, got 70000");
}

TEST_F(TypeCheckTest, NegativeReplicasAreRefused) {
  std::string yaml(kDeployment);
  yaml.replace(yaml.find("spec:\n  selector"), 5, "spec:\n  replicas: -1");
  Check(yaml);
  EXPECT_EQ(OnlyError("invalid-value").message, "spec.replicas: must be >= 0, got -1");
}

TEST_F(TypeCheckTest, StringFormatIsChecked) {
  std::string yaml(kDeployment);
  yaml.replace(yaml.find("- name: web"), 11, "- name: Web_1");
  Check(yaml);
  const auto& d = OnlyError("invalid-value");
  EXPECT_THAT(d.message, HasSubstr("spec.template.spec.containers[Web_1].name: invalid value "
                                   "\"Web_1\""));
}

TEST_F(TypeCheckTest, StringPatternIsChecked) {
  Check("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {\"bad key!\": x}\n");
  const auto& d = OnlyError("invalid-value");
  EXPECT_THAT(d.message, HasSubstr("data[\"bad key!\"]: invalid value \"bad key!\""));
}

TEST_F(TypeCheckTest, QuantitySyntaxIsChecked) {
  std::string yaml(kDeployment);
  yaml += "          resources: {requests: {cpu: lots, memory: 64Mi}, limits: {cpu: 2}}\n";
  Check(yaml);
  EXPECT_THAT(OnlyError("invalid-value").message,
              HasSubstr("spec.template.spec.containers[web].resources.requests[cpu]: invalid "
                        "quantity \"lots\""));
}

TEST_F(TypeCheckTest, ListMinItemsIsChecked) {
  Check(R"(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: []
)");
  EXPECT_EQ(OnlyError("invalid-value").message, "spec.containers: must have at least one item");
}

TEST_F(TypeCheckTest, DuplicateContainerNamesAreRefused) {
  Check(R"(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - {name: web, image: a:1}
    - {name: web, image: b:1}
)");
  const auto& d = OnlyError("duplicate-key");
  // The index, not the key: the key names both items.
  EXPECT_EQ(d.message, "spec.containers[1]: duplicate name \"web\" (item 0 has it too)");
  EXPECT_EQ(d.pos.line, 7u);
}

TEST_F(TypeCheckTest, SamePortWithTwoProtocolsIsNotADuplicate) {
  Check(R"(apiVersion: v1
kind: Pod
metadata: {name: dns}
spec:
  containers:
    - name: dns
      image: dns:1
      ports:
        - {containerPort: 53, protocol: UDP, name: dns}
        - {containerPort: 53, protocol: TCP, name: dns-tcp}
)");
  EXPECT_FALSE(diags_.HasErrors()) << Rendered();
}

TEST_F(TypeCheckTest, SamePortTwiceIsADuplicate) {
  Check(R"(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: web
      image: web:1
      ports: [{containerPort: 80}, {containerPort: 80}]
)");
  EXPECT_EQ(OnlyError("duplicate-key").message,
            "spec.containers[web].ports[1]: duplicate containerPort 80 (item 0 has it too)");
}

TEST_F(TypeCheckTest, DuplicatesInALongListAreFound) {
  std::string yaml(kDeployment);
  yaml += "          env:\n";
  for (int i = 0; i < 40; ++i)
    yaml += "            - {name: V" + std::to_string(i) + ", value: a}\n";
  yaml += "            - {name: V7, value: b}\n";  // (y would be YAML 1.1's true)
  Check(yaml);
  EXPECT_EQ(OnlyError("duplicate-key").message,
            "spec.template.spec.containers[web].env[40]: duplicate name \"V7\" (item 7 has it "
            "too)");
}

TEST_F(TypeCheckTest, EveryProblemOfADocumentIsReported) {
  Check(R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: "three"
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      restartPolcy: Always
      containers:
        - name: web
          image: localhost/busybox:1
          ports:
            - containerPort: 70000
              protocol: tcp
          resources:
            requests: {cpu: lots}
)");
  EXPECT_EQ(diags_.error_count(), 5u) << Rendered();
  std::string all = Rendered();
  EXPECT_THAT(all, HasSubstr("spec.replicas"));
  EXPECT_THAT(all, HasSubstr("restartPolcy"));
  EXPECT_THAT(all, HasSubstr("containerPort"));
  EXPECT_THAT(all, HasSubstr("protocol"));
  EXPECT_THAT(all, HasSubstr("requests[cpu]"));
}

TEST_F(TypeCheckTest, NullIsTreatedAsAbsent) {
  std::string yaml(kDeployment);
  yaml.replace(yaml.find("spec:\n  selector"), 5, "spec:\n  replicas: null");
  auto m = Check(yaml);
  EXPECT_TRUE(diags_.all().empty()) << Rendered();
  EXPECT_EQ(At(m, "spec.replicas").as_int(), 1);
  EXPECT_TRUE(At(m, "spec.replicas").defaulted());
}

// ------------------------------------------------------------------ unions

TEST_F(TypeCheckTest, IntOrStringAcceptsBoth) {
  Check(R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports:
    - {name: http, port: 80, targetPort: http}
    - {name: alt, port: 81, targetPort: 8081}
)");
  EXPECT_TRUE(diags_.all().empty()) << Rendered();
}

TEST_F(TypeCheckTest, UnionMismatchNamesTheAlternatives) {
  Check(R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{port: 80, targetPort: true}]
)");
  const auto& d = OnlyError("type-mismatch");
  EXPECT_THAT(d.message, HasSubstr("spec.ports[0].targetPort: expected integer"));
  EXPECT_THAT(d.message, HasSubstr("got bool true"));
}

TEST_F(TypeCheckTest, UnionReportsTheFittingAlternativesError) {
  std::string yaml(kDeployment);
  yaml.replace(yaml.find("  selector"), 0, "  strategy: {rollingUpdate: {maxSurge: \"25\"}}\n");
  Check(yaml);
  EXPECT_THAT(OnlyError("invalid-value").message,
              HasSubstr("spec.strategy.rollingUpdate.maxSurge: invalid value \"25\""));
}

// ------------------------------------------------------------------ defaults

TEST_F(TypeCheckTest, DeploymentDefaults) {
  auto m = Check(kDeployment);
  ASSERT_TRUE(diags_.all().empty()) << Rendered();
  EXPECT_EQ(At(m, "spec.replicas").as_int(), 1);
  EXPECT_TRUE(At(m, "spec.replicas").defaulted());
  EXPECT_EQ(At(m, "spec.revisionHistoryLimit").as_int(), 10);
  EXPECT_EQ(At(m, "spec.progressDeadlineSeconds").as_int(), 600);
  EXPECT_EQ(At(m, "spec.strategy.type").as_string(), "RollingUpdate");
  EXPECT_EQ(At(m, "spec.strategy.rollingUpdate.maxSurge").as_string(), "25%");
  EXPECT_EQ(At(m, "spec.strategy.rollingUpdate.maxUnavailable").as_string(), "25%");
  EXPECT_TRUE(At(m, "spec.strategy.rollingUpdate.maxSurge").defaulted());
  EXPECT_EQ(At(m, "spec.template.spec.restartPolicy").as_string(), "Always");
  EXPECT_EQ(At(m, "spec.template.spec.terminationGracePeriodSeconds").as_int(), 30);
  EXPECT_EQ(At(m, "spec.template.spec.dnsPolicy").as_string(), "ClusterFirst");
  const Value& container = At(m, "spec.template.spec.containers").as_list()[0];
  EXPECT_EQ(container.Find("imagePullPolicy")->as_string(), "IfNotPresent");
  const Value& port = container.Find("ports")->as_list()[0];
  EXPECT_EQ(port.Find("protocol")->as_string(), "TCP");
  EXPECT_TRUE(port.Find("protocol")->defaulted());
  EXPECT_FALSE(port.Find("containerPort")->defaulted());
}

TEST_F(TypeCheckTest, DefaultedValuesSitAtTheirParent) {
  auto m = Check(kDeployment);
  const Value& spec = At(m, "spec");
  EXPECT_EQ(At(m, "spec.replicas").pos(), spec.pos());
  EXPECT_EQ(At(m, "spec.strategy.rollingUpdate.maxSurge").pos(), spec.pos());
}

TEST_F(TypeCheckTest, UserValuesAreNotMarkedDefaulted) {
  std::string yaml(kDeployment);
  yaml.replace(yaml.find("spec:\n  selector"), 5, "spec:\n  replicas: 3");
  auto m = Check(yaml);
  EXPECT_EQ(At(m, "spec.replicas").as_int(), 3);
  EXPECT_FALSE(At(m, "spec.replicas").defaulted());
}

TEST_F(TypeCheckTest, ImagePullPolicyFollowsTheTag) {
  struct Case {
    const char* image;
    const char* policy;
  } cases[] = {
      {"busybox", "Always"},
      {"busybox:latest", "Always"},
      {"busybox:1.36", "IfNotPresent"},
      {"localhost:5000/busybox", "Always"},
      {"localhost:5000/busybox:1", "IfNotPresent"},
      {"busybox@sha256:0123456789abcdef", "IfNotPresent"},
  };
  for (const auto& c : cases) {
    lang::Diagnostics diags;
    std::string yaml = std::string("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n") +
                       "spec: {containers: [{name: c, image: \"" + c.image + "\"}]}\n";
    auto manifests = ParseYaml("t.yaml", yaml, LoadOptions{}, diags);
    ASSERT_EQ(manifests.size(), 1u);
    auto m = TypeCheck(*schemas_, std::move(manifests[0].doc), diags);
    ASSERT_FALSE(diags.HasErrors()) << Render(diags);
    const Value& container = At(m, "spec.containers").as_list()[0];
    EXPECT_EQ(container.Find("imagePullPolicy")->as_string(), c.policy) << c.image;
  }
}

TEST_F(TypeCheckTest, RecreateStrategyGetsNoRollingUpdate) {
  std::string yaml(kDeployment);
  yaml.replace(yaml.find("  selector"), 0, "  strategy: {type: Recreate}\n");
  auto m = Check(yaml);
  EXPECT_TRUE(diags_.all().empty()) << Rendered();
  EXPECT_EQ(m.object.FindPath("spec.strategy.rollingUpdate"), nullptr);
}

TEST_F(TypeCheckTest, ServiceDefaults) {
  auto m = Check(R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
)");
  ASSERT_TRUE(diags_.all().empty()) << Rendered();
  EXPECT_EQ(At(m, "spec.type").as_string(), "ClusterIP");
  EXPECT_EQ(At(m, "spec.sessionAffinity").as_string(), "None");
  EXPECT_EQ(m.object.FindPath("spec.externalTrafficPolicy"), nullptr);
  const Value& port = At(m, "spec.ports").as_list()[0];
  EXPECT_EQ(port.Find("protocol")->as_string(), "TCP");
  ASSERT_TRUE(port.Find("targetPort")->is_int());
  EXPECT_EQ(port.Find("targetPort")->as_int(), 80);
  EXPECT_TRUE(port.Find("targetPort")->defaulted());
}

TEST_F(TypeCheckTest, NodePortServiceGetsTrafficPolicy) {
  auto m = Check(R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  sessionAffinity: ClientIP
  ports: [{port: 80}]
)");
  ASSERT_TRUE(diags_.all().empty()) << Rendered();
  EXPECT_EQ(At(m, "spec.externalTrafficPolicy").as_string(), "Cluster");
  EXPECT_EQ(At(m, "spec.sessionAffinityConfig.clientIP.timeoutSeconds").as_int(), 10800);
}

TEST_F(TypeCheckTest, StatefulSetAndDaemonSetDefaults) {
  auto sts = Check(R"(apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: "db:1"}]}
)");
  ASSERT_TRUE(diags_.all().empty()) << Rendered();
  EXPECT_EQ(At(sts, "spec.podManagementPolicy").as_string(), "OrderedReady");
  EXPECT_EQ(At(sts, "spec.updateStrategy.type").as_string(), "RollingUpdate");
  EXPECT_EQ(At(sts, "spec.updateStrategy.rollingUpdate.partition").as_int(), 0);
  EXPECT_EQ(At(sts, "spec.replicas").as_int(), 1);

  auto ds = Check(R"(apiVersion: apps/v1
kind: DaemonSet
metadata: {name: log}
spec:
  selector: {matchLabels: {app: log}}
  template:
    metadata: {labels: {app: log}}
    spec: {containers: [{name: log, image: "log:1"}]}
)");
  ASSERT_TRUE(diags_.all().empty()) << Rendered();
  EXPECT_EQ(At(ds, "spec.updateStrategy.type").as_string(), "RollingUpdate");
  EXPECT_EQ(At(ds, "spec.updateStrategy.rollingUpdate.maxUnavailable").as_int(), 1);
}

constexpr std::string_view kJob = R"(apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: "m:1"}]
)";

TEST_F(TypeCheckTest, JobDefaults) {
  auto m = Check(kJob);
  ASSERT_TRUE(diags_.all().empty()) << Rendered();
  EXPECT_EQ(At(m, "spec.completions").as_int(), 1);
  EXPECT_EQ(At(m, "spec.parallelism").as_int(), 1);
  EXPECT_EQ(At(m, "spec.backoffLimit").as_int(), 6);
}

TEST_F(TypeCheckTest, JobWithParallelismOnlyHasNoCompletions) {
  std::string yaml(kJob);
  yaml.replace(yaml.find("  template"), 0, "  parallelism: 3\n");
  auto m = Check(yaml);
  ASSERT_TRUE(diags_.all().empty()) << Rendered();
  EXPECT_EQ(At(m, "spec.parallelism").as_int(), 3);
  EXPECT_EQ(m.object.FindPath("spec.completions"), nullptr);
}

TEST_F(TypeCheckTest, JobNeedsARestartPolicyOtherThanAlways) {
  std::string yaml(kJob);
  yaml.erase(yaml.find("      restartPolicy: Never\n"), 27);
  Check(yaml);
  const auto& d = OnlyError("constraint");
  EXPECT_EQ(d.message,
            "spec: a Job's pod template must set restartPolicy to \"OnFailure\" or \"Never\"");
  EXPECT_EQ(d.pos.line, 5u);
}

TEST_F(TypeCheckTest, CronJobDefaultsReachTheJobTemplate) {
  auto m = Check(R"(apiVersion: batch/v1
kind: CronJob
metadata: {name: hello}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: hello, image: "busybox:1"}]
)");
  ASSERT_TRUE(diags_.all().empty()) << Rendered();
  EXPECT_EQ(At(m, "spec.concurrencyPolicy").as_string(), "Allow");
  EXPECT_FALSE(At(m, "spec.suspend").as_bool());
  EXPECT_EQ(At(m, "spec.successfulJobsHistoryLimit").as_int(), 3);
  EXPECT_EQ(At(m, "spec.failedJobsHistoryLimit").as_int(), 1);
  EXPECT_EQ(At(m, "spec.jobTemplate.spec.backoffLimit").as_int(), 6);
}

TEST_F(TypeCheckTest, CronScheduleIsChecked) {
  Check(R"(apiVersion: batch/v1
kind: CronJob
metadata: {name: hello}
spec:
  schedule: "every minute"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: hello, image: "busybox:1"}]
)");
  EXPECT_THAT(OnlyError("invalid-value").message, HasSubstr("spec.schedule"));
}

TEST_F(TypeCheckTest, HpaDefaultsAndBounds) {
  auto m = Check(R"(apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 5
)");
  ASSERT_TRUE(diags_.all().empty()) << Rendered();
  EXPECT_EQ(At(m, "spec.minReplicas").as_int(), 1);

  Check(R"(apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {kind: Deployment, name: web}
  minReplicas: 4
  maxReplicas: 2
)");
  EXPECT_EQ(OnlyError("constraint").message, "spec: minReplicas must not exceed maxReplicas");
}

// ------------------------------------------------------------------ constraints

TEST_F(TypeCheckTest, RollingUpdateMayNotBeAllZero) {
  std::string yaml(kDeployment);
  yaml.replace(yaml.find("  selector"), 0,
               "  strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: \"0%\"}}\n");
  Check(yaml);
  EXPECT_EQ(OnlyError("constraint").message,
            "spec.strategy.rollingUpdate: maxSurge and maxUnavailable may not both be 0");
}

TEST_F(TypeCheckTest, RecreateWithRollingUpdateIsRefused) {
  std::string yaml(kDeployment);
  yaml.replace(yaml.find("  selector"), 0,
               "  strategy: {type: Recreate, rollingUpdate: {maxSurge: 1}}\n");
  Check(yaml);
  EXPECT_THAT(OnlyError("constraint").message, HasSubstr("spec.strategy: rollingUpdate may not"));
}

TEST_F(TypeCheckTest, ServiceWithSeveralPortsNeedsNames) {
  Check(R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{port: 80}, {port: 443}]
)");
  EXPECT_EQ(OnlyError("constraint").message,
            "spec: when a Service has more than one port, each must have a name");
}

TEST_F(TypeCheckTest, RequestsMayNotExceedLimits) {
  std::string yaml(kDeployment);
  yaml += "          resources: {requests: {cpu: \"2\"}, limits: {cpu: 500m}}\n";
  Check(yaml);
  EXPECT_EQ(OnlyError("constraint").message,
            "spec.template.spec.containers[web].resources: a resource request must not exceed "
            "its limit");
}

TEST_F(TypeCheckTest, LimitsDefaultTheRequests) {
  std::string yaml(kDeployment);
  yaml += "          resources: {limits: {cpu: 500m, memory: 64Mi}}\n";
  auto m = Check(yaml);
  ASSERT_TRUE(diags_.all().empty()) << Rendered();
  const Value& container = At(m, "spec.template.spec.containers").as_list()[0];
  const Value* requests = container.FindPath("resources.requests");
  ASSERT_NE(requests, nullptr);
  EXPECT_TRUE(requests->defaulted());
  EXPECT_EQ(requests->Find("cpu")->as_string(), "500m");
}

TEST_F(TypeCheckTest, ConstraintsWaitForAValidRecord) {
  // A broken field inside the record: only its own error, not the record's
  // constraint on top.
  Check(R"(apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {kind: Deployment, name: web}
  minReplicas: 4
  maxReplicas: "2"
)");
  EXPECT_EQ(OnlyError("type-mismatch").message,
            "spec.maxReplicas: expected integer, got string \"2\"");
}

// ------------------------------------------------------------------ references

TEST_F(TypeCheckTest, ReferencesAreCollected) {
  auto m = Check(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      serviceAccountName: api
      containers:
        - name: api
          image: api:1
          env:
            - name: DB
              valueFrom: {configMapKeyRef: {name: api-config, key: db}}
            - name: TOKEN
              valueFrom: {secretKeyRef: {name: api-secret, key: token, optional: true}}
          envFrom:
            - configMapRef: {name: shared}
      volumes:
        - {name: data, persistentVolumeClaim: {claimName: api-data}}
        - {name: certs, secret: {secretName: certs}}
)");
  ASSERT_TRUE(diags_.all().empty()) << Rendered();
  ASSERT_EQ(m.refs.size(), 6u);
  auto find = [&](std::string_view name) -> const Reference* {
    for (const auto& r : m.refs)
      if (r.name == name) return &r;
    return nullptr;
  };
  const Reference* sa = find("api");
  ASSERT_NE(sa, nullptr);
  EXPECT_EQ(sa->kind, "ServiceAccount");
  EXPECT_TRUE(sa->optional);
  const Reference* cm = find("api-config");
  ASSERT_NE(cm, nullptr);
  EXPECT_EQ(cm->kind, "ConfigMap");
  EXPECT_FALSE(cm->optional);
  EXPECT_EQ(cm->field_path, "spec.template.spec.containers[api].env[DB].valueFrom.configMapKeyRef.name");
  EXPECT_EQ(cm->pos.line, 15u);
  const Reference* secret = find("api-secret");
  ASSERT_NE(secret, nullptr);
  EXPECT_EQ(secret->kind, "Secret");
  EXPECT_TRUE(secret->optional);
  ASSERT_NE(find("shared"), nullptr);
  EXPECT_EQ(find("shared")->field_path, "spec.template.spec.containers[api].envFrom[0].configMapRef.name");
  ASSERT_NE(find("api-data"), nullptr);
  EXPECT_EQ(find("api-data")->kind, "PersistentVolumeClaim");
  EXPECT_EQ(find("api-data")->field_path, "spec.template.spec.volumes[data].persistentVolumeClaim.claimName");
  ASSERT_NE(find("certs"), nullptr);
  EXPECT_FALSE(find("certs")->optional);
}

TEST_F(TypeCheckTest, IngressBackendReferencesAService) {
  auto m = Check(R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
    - http:
        paths:
          - path: /
            pathType: Prefix
            backend: {service: {name: web, port: {number: 80}}}
)");
  ASSERT_TRUE(diags_.all().empty()) << Rendered();
  ASSERT_EQ(m.refs.size(), 1u);
  EXPECT_EQ(m.refs[0].kind, "Service");
  EXPECT_EQ(m.refs[0].name, "web");
  EXPECT_EQ(m.refs[0].field_path, "spec.rules[0].http.paths[0].backend.service.name");
}

// ------------------------------------------------------------------ user kinds

// testdata/typecheck/schemas/widget.gorch, added as `--schema DIR` would.
class UserKindTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    lang::Diagnostics diags;
    schemas_ = lang::LoadSchemas({std::string(GORCH_TESTDATA) + "/typecheck/schemas"}, diags)
                   .release();
    ASSERT_NE(schemas_, nullptr) << TypeCheckTestRender(diags);
  }
  static void TearDownTestSuite() {
    delete schemas_;
    schemas_ = nullptr;
  }
  static std::string TypeCheckTestRender(const lang::Diagnostics& diags) {
    std::string out;
    for (const auto& d : diags.all()) out += d.ToString() + "\n";
    return out;
  }
  CheckedManifest Check(const std::string& spec) {
    std::string yaml = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: " +
                       spec + "\n";
    lang::Diagnostics parse_diags;
    auto manifests = ParseYaml("w.yaml", yaml, LoadOptions{}, parse_diags);
    EXPECT_EQ(manifests.size(), 1u) << TypeCheckTestRender(parse_diags);
    if (manifests.empty()) return {};
    return TypeCheck(*schemas_, std::move(manifests[0].doc), diags_);
  }
  std::string Rendered() const { return TypeCheckTestRender(diags_); }

  static lang::SchemaSet* schemas_;
  lang::Diagnostics diags_;
};

lang::SchemaSet* UserKindTest::schemas_ = nullptr;

TEST_F(UserKindTest, ComputedDefaultsAndConstraint) {
  auto m = Check("{replicas: 3}");
  ASSERT_TRUE(diags_.all().empty()) << Rendered();
  EXPECT_EQ(m.object.FindPath("spec.maxReplicas")->as_int(), 6);
  EXPECT_TRUE(m.object.FindPath("spec.maxReplicas")->defaulted());
  EXPECT_EQ(m.object.FindPath("spec.timeout")->as_string(), "30s");

  Check("{replicas: 3, maxReplicas: 2}");
  ASSERT_EQ(diags_.error_count(), 1u) << Rendered();
  EXPECT_EQ(diags_.all()[0].code, "constraint");
  EXPECT_EQ(diags_.all()[0].message, "spec: maxReplicas must be at least replicas");
}

TEST_F(UserKindTest, DurationSyntaxIsChecked) {
  Check("{timeout: 10 minutes}");
  ASSERT_EQ(diags_.error_count(), 1u) << Rendered();
  EXPECT_THAT(diags_.all()[0].message, HasSubstr("spec.timeout: invalid duration \"10 minutes\""));
}

TEST_F(UserKindTest, FloatAcceptsIntegersButNotStrings) {
  Check("{ratio: 2}");
  EXPECT_TRUE(diags_.all().empty()) << Rendered();
  Check("{ratio: \"0.5\"}");
  ASSERT_EQ(diags_.error_count(), 1u) << Rendered();
  EXPECT_EQ(diags_.all()[0].message, "spec.ratio: expected number, got string \"0.5\"");
}

TEST_F(UserKindTest, OpenRecordKeepsUnknownFields) {
  auto m = Check("{extra: {known: a, anything: {b: 1}}}");
  EXPECT_TRUE(diags_.all().empty()) << Rendered();
  EXPECT_NE(m.object.FindPath("spec.extra.anything.b"), nullptr);
}

TEST_F(UserKindTest, ListBoundsAreChecked) {
  Check("{tags: [a, b, c]}");
  ASSERT_EQ(diags_.error_count(), 1u) << Rendered();
  EXPECT_EQ(diags_.all()[0].message, "spec.tags: must have at most 2 items");
}

TEST_F(UserKindTest, EnumMapKeysAreChecked) {
  Check("{weights: {red: 1, blue: 2}}");
  ASSERT_EQ(diags_.error_count(), 1u) << Rendered();
  EXPECT_THAT(diags_.all()[0].message,
              HasSubstr("spec.weights[blue]: invalid value \"blue\": must be one of"));
}

TEST_F(UserKindTest, ReferencesToUserKindsWithOptionalIf) {
  auto m = Check("{owner: g1, fallback: g2, allowMissing: true}");
  ASSERT_TRUE(diags_.all().empty()) << Rendered();
  ASSERT_EQ(m.refs.size(), 2u);
  EXPECT_EQ(m.refs[0].kind, "Gadget");
  EXPECT_FALSE(m.refs[0].optional);
  EXPECT_EQ(m.refs[1].name, "g2");
  EXPECT_TRUE(m.refs[1].optional);

  // optionalIf reads allowMissing after its default (false) is filled.
  diags_ = lang::Diagnostics();
  m = Check("{fallback: g2}");
  EXPECT_TRUE(diags_.all().empty()) << Rendered();
  ASSERT_EQ(m.refs.size(), 1u);
  EXPECT_FALSE(m.refs[0].optional);
}

TEST_F(UserKindTest, RecordUnionPicksTheAlternativeThatFits) {
  auto m = Check("{source: {repo: git@example.com:x.git}}");
  ASSERT_TRUE(diags_.all().empty()) << Rendered();
  EXPECT_EQ(m.object.FindPath("spec.source.branch")->as_string(), "main");

  m = Check("{source: {url: https://example.com/x.tgz}}");
  ASSERT_TRUE(diags_.all().empty()) << Rendered();
  EXPECT_EQ(m.object.FindPath("spec.source.branch"), nullptr);  // no trial's default leaks

  Check("{source: {url: ftp://example.com}}");
  EXPECT_EQ(diags_.error_count(), 1u) << Rendered();
  EXPECT_EQ(diags_.all()[0].code, "type-mismatch");
}

TEST_F(UserKindTest, ClusterScopedUserKindGetsNoNamespace) {
  lang::Diagnostics parse_diags;
  auto manifests = ParseYaml("g.yaml", "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\n",
                             LoadOptions{}, parse_diags);
  ASSERT_EQ(manifests.size(), 1u);
  auto m = TypeCheck(*schemas_, std::move(manifests[0].doc), diags_);
  ASSERT_NE(m.schema, nullptr);
  EXPECT_FALSE(m.schema->namespaced);
  EXPECT_EQ(m.object.FindPath("metadata.namespace"), nullptr);
  EXPECT_TRUE(diags_.all().empty()) << Rendered();
}

// ------------------------------------------------------------------ real use

// testdata/typecheck/realistic.yaml: many fields of many kinds, all valid.
TEST_F(TypeCheckTest, RealisticManifestsHaveNoProblems) {
  fs::path file = fs::path(GORCH_TESTDATA) / "typecheck" / "realistic.yaml";
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  lang::Diagnostics diags;
  auto manifests = ParseYaml(file.string(), text.str(), LoadOptions{}, diags);
  ASSERT_FALSE(diags.HasErrors()) << Render(diags);
  ASSERT_EQ(manifests.size(), 20u);
  size_t refs = 0;
  for (auto& manifest : manifests) {
    auto m = TypeCheck(*schemas_, std::move(manifest.doc), diags);
    EXPECT_NE(m.schema, nullptr);
    refs += m.refs.size();
  }
  EXPECT_TRUE(diags.all().empty()) << Render(diags);
  EXPECT_EQ(refs, 14u);  // counted by hand: 10 in the Deployment, 3 in the Ingress, 1 in the SA
}

// ------------------------------------------------------------------ corpus

// Every real-world manifest of ../shared/corpus type-checks without an error,
// except the documented one: a batch/v1beta1 CronJob, which names batch/v1.
TEST_F(TypeCheckTest, CorpusTypeChecks) {
  fs::path corpus = fs::path(GORCH_SOURCE_DIR) / ".." / "shared" / "corpus";
  if (!fs::exists(corpus)) {
    if (std::getenv("CI")) FAIL() << "corpus not found at " << corpus;
    GTEST_SKIP() << "corpus not found at " << corpus;
  }
  size_t documents = 0;
  for (const auto& entry : fs::recursive_directory_iterator(corpus)) {
    std::string ext = entry.path().extension().string();
    if (ext != ".yaml" && ext != ".yml") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    lang::Diagnostics diags;
    auto manifests = ParseYaml(entry.path().string(), text.str(), LoadOptions{}, diags);
    ASSERT_FALSE(diags.HasErrors()) << Render(diags);
    for (auto& manifest : manifests) {
      ++documents;
      lang::Diagnostics check_diags;
      auto m = TypeCheck(*schemas_, std::move(manifest.doc), check_diags);
      if (entry.path().filename() == "cronjob-v1beta1.yaml") {
        ASSERT_EQ(check_diags.error_count(), 1u) << Render(check_diags);
        EXPECT_EQ(check_diags.all()[0].code, "deprecated-api-version");
        EXPECT_THAT(check_diags.all()[0].message, HasSubstr("use batch/v1"));
        continue;
      }
      EXPECT_TRUE(check_diags.all().empty()) << entry.path() << "\n" << Render(check_diags);
      EXPECT_NE(m.schema, nullptr) << entry.path();
    }
  }
  EXPECT_GE(documents, 40u);
}

}  // namespace
}  // namespace gorch::compiler

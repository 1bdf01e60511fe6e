"""Hand-written knowledge merged into the generated schemas by tools/gen_schemas.py.

python3-kubernetes gives every kind's fields and their JSON types. What it does not
say lives here, as data:

  KINDS        every kind gorch knows: apiVersion, python model, target file, modifiers
  DEPRECATED   removed or deprecated apiVersions and their replacement
  RENAME       Gorch names for python models whose default name would collide
  HAND_TYPES   enums and refined scalars written by hand (per target file)
  FIELDS       per record (Gorch type name, or kind name for a kind's body) and JSON
               field: type override, refinement, keyed list, reference, default,
               required override
  WHERE        per record or kind body: `where` constraints (expression, message)

Field spec keys (all optional), built with F(...):
  type      the whole Gorch type expression, replacing the generated one
  elem      the element type of a list or the value type of a map
  key       the key type of a map (default: string)
  keyed     for a list: the field that identifies an item (Kubernetes' patchMergeKey)
  min_items for a list: `(minItems: N)`
  ref       the referenced kind: the field becomes `ref<Kind>`; with optional_if
  optional_if  expression over the enclosing record: when true the reference may dangle
  default   default expression (Gorch), filled when the field is absent
  when      condition for the default
  required  True/False: override what the python model says

Defaults are filled in field order and each default sees the ones filled before it;
the generator moves a field after the siblings its default or `when` reads by value
(`has(x)` asks whether the user wrote x and does not reorder).
"""


def F(**kw):
    return kw


# (kind, apiVersion, python model, file, modifiers). Order decides where shared types
# land: a type is written into the file of the first kind that reaches it.
KINDS = [
    ("Pod", "v1", "V1Pod", "pod", []),
    ("Deployment", "apps/v1", "V1Deployment", "apps", []),
    ("ReplicaSet", "apps/v1", "V1ReplicaSet", "apps", []),
    ("StatefulSet", "apps/v1", "V1StatefulSet", "apps", []),
    ("DaemonSet", "apps/v1", "V1DaemonSet", "apps", []),
    ("Job", "batch/v1", "V1Job", "batch", []),
    ("CronJob", "batch/v1", "V1CronJob", "batch", []),
    ("Service", "v1", "V1Service", "service", []),
    ("Endpoints", "v1", "V1Endpoints", "service", ["passive"]),
    ("Namespace", "v1", "V1Namespace", "config", ["cluster"]),
    ("ConfigMap", "v1", "V1ConfigMap", "config", []),
    ("Secret", "v1", "V1Secret", "config", []),
    ("ServiceAccount", "v1", "V1ServiceAccount", "config", ["passive"]),
    ("PersistentVolumeClaim", "v1", "V1PersistentVolumeClaim", "storage", []),
    ("PersistentVolume", "v1", "V1PersistentVolume", "storage", ["cluster", "passive"]),
    ("StorageClass", "storage.k8s.io/v1", "V1StorageClass", "storage", ["cluster", "passive"]),
    ("Ingress", "networking.k8s.io/v1", "V1Ingress", "networking", []),
    ("IngressClass", "networking.k8s.io/v1", "V1IngressClass", "networking",
     ["cluster", "passive"]),
    ("NetworkPolicy", "networking.k8s.io/v1", "V1NetworkPolicy", "networking", ["passive"]),
    ("HorizontalPodAutoscaler", "autoscaling/v1", "V1HorizontalPodAutoscaler", "autoscaling", []),
    # autoscaling/v2 came after the 1.22 API: it is v2beta2's shape under a new name.
    ("HorizontalPodAutoscaler", "autoscaling/v2", "V2beta2HorizontalPodAutoscaler",
     "autoscaling", []),
    ("HorizontalPodAutoscaler", "autoscaling/v2beta2", "V2beta2HorizontalPodAutoscaler",
     "autoscaling", []),
    ("PodDisruptionBudget", "policy/v1", "V1PodDisruptionBudget", "policy", ["passive"]),
    ("LimitRange", "v1", "V1LimitRange", "policy", ["passive"]),
    ("ResourceQuota", "v1", "V1ResourceQuota", "policy", ["passive"]),
    ("PriorityClass", "scheduling.k8s.io/v1", "V1PriorityClass", "policy", ["cluster", "passive"]),
    ("Role", "rbac.authorization.k8s.io/v1", "V1Role", "rbac", ["passive"]),
    ("RoleBinding", "rbac.authorization.k8s.io/v1", "V1RoleBinding", "rbac", ["passive"]),
    ("ClusterRole", "rbac.authorization.k8s.io/v1", "V1ClusterRole", "rbac", ["cluster", "passive"]),
    ("ClusterRoleBinding", "rbac.authorization.k8s.io/v1", "V1ClusterRoleBinding", "rbac",
     ["cluster", "passive"]),
    ("CustomResourceDefinition", "apiextensions.k8s.io/v1", "V1CustomResourceDefinition",
     "apiextensions", ["cluster", "passive"]),
    # Cluster plumbing that Helm charts of operators and add-ons ship.
    ("ValidatingWebhookConfiguration", "admissionregistration.k8s.io/v1",
     "V1ValidatingWebhookConfiguration", "cluster", ["cluster", "passive"]),
    ("MutatingWebhookConfiguration", "admissionregistration.k8s.io/v1",
     "V1MutatingWebhookConfiguration", "cluster", ["cluster", "passive"]),
    ("APIService", "apiregistration.k8s.io/v1", "V1APIService", "cluster", ["cluster", "passive"]),
    ("RuntimeClass", "node.k8s.io/v1", "V1RuntimeClass", "cluster", ["cluster", "passive"]),
    ("CSIDriver", "storage.k8s.io/v1", "V1CSIDriver", "cluster", ["cluster", "passive"]),
    ("EndpointSlice", "discovery.k8s.io/v1", "V1EndpointSlice", "cluster", ["passive"]),
    ("ReplicationController", "v1", "V1ReplicationController", "cluster", ["passive"]),
]

# Order of the generated files (each is lang/schemas/<name>.gorch) and their headline.
FILES = [
    ("pod", "Pods and everything a pod template holds (core/v1)"),
    ("apps", "apps/v1 workloads: Deployment, ReplicaSet, StatefulSet, DaemonSet"),
    ("batch", "batch/v1: Job and CronJob"),
    ("service", "core/v1 Service and Endpoints"),
    ("config", "core/v1 Namespace, ConfigMap, Secret, ServiceAccount"),
    ("storage", "PersistentVolumeClaim, PersistentVolume (core/v1), StorageClass (storage.k8s.io/v1)"),
    ("networking", "networking.k8s.io/v1: Ingress, IngressClass, NetworkPolicy"),
    ("autoscaling", "HorizontalPodAutoscaler: autoscaling/v1, autoscaling/v2 (and v2beta2)"),
    ("policy", "PodDisruptionBudget, LimitRange, ResourceQuota, PriorityClass"),
    ("rbac", "rbac.authorization.k8s.io/v1: Role, RoleBinding, ClusterRole, ClusterRoleBinding"),
    ("apiextensions", "apiextensions.k8s.io/v1: CustomResourceDefinition"),
    ("cluster", "Cluster plumbing gorch keeps but does not run: admission webhooks, APIService,"
                " RuntimeClass, CSIDriver, EndpointSlice, ReplicationController"),
    ("deprecated", "apiVersions Kubernetes no longer serves (or deprecates), and their replacement"),
]

# (kind, old apiVersion, replacement). An old apiVersion that is also declared as a
# kind above (autoscaling/v2beta2) is still accepted, with a deprecation warning.
_WORKLOADS = ["Deployment", "DaemonSet", "ReplicaSet", "StatefulSet"]
_RBAC = ["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"]
DEPRECATED = (
    [(k, v, "apps/v1") for k in _WORKLOADS
     for v in ["extensions/v1beta1", "apps/v1beta1", "apps/v1beta2"]]
    + [("CronJob", "batch/v1beta1", "batch/v1"), ("CronJob", "batch/v2alpha1", "batch/v1")]
    + [("Ingress", "extensions/v1beta1", "networking.k8s.io/v1"),
       ("Ingress", "networking.k8s.io/v1beta1", "networking.k8s.io/v1"),
       ("IngressClass", "networking.k8s.io/v1beta1", "networking.k8s.io/v1"),
       ("NetworkPolicy", "extensions/v1beta1", "networking.k8s.io/v1")]
    + [("PodDisruptionBudget", "policy/v1beta1", "policy/v1")]
    + [("HorizontalPodAutoscaler", "autoscaling/v2beta1", "autoscaling/v2"),
       ("HorizontalPodAutoscaler", "autoscaling/v2beta2", "autoscaling/v2")]
    + [(k, v, "rbac.authorization.k8s.io/v1") for k in _RBAC
       for v in ["rbac.authorization.k8s.io/v1beta1", "rbac.authorization.k8s.io/v1alpha1"]]
    + [("CustomResourceDefinition", "apiextensions.k8s.io/v1beta1", "apiextensions.k8s.io/v1")]
    + [("PriorityClass", "scheduling.k8s.io/v1beta1", "scheduling.k8s.io/v1"),
       ("PriorityClass", "scheduling.k8s.io/v1alpha1", "scheduling.k8s.io/v1")]
    + [("StorageClass", "storage.k8s.io/v1beta1", "storage.k8s.io/v1"),
       ("CSIDriver", "storage.k8s.io/v1beta1", "storage.k8s.io/v1")]
    + [(k, "admissionregistration.k8s.io/v1beta1", "admissionregistration.k8s.io/v1")
       for k in ["ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"]]
    + [("APIService", "apiregistration.k8s.io/v1beta1", "apiregistration.k8s.io/v1"),
       ("RuntimeClass", "node.k8s.io/v1beta1", "node.k8s.io/v1"),
       ("RuntimeClass", "node.k8s.io/v1alpha1", "node.k8s.io/v1"),
       ("EndpointSlice", "discovery.k8s.io/v1beta1", "discovery.k8s.io/v1")]
)

# Python model -> Gorch type name, where the default (drop "V1", suffix other
# versions) would collide or read badly.
RENAME = {
    # A whole PersistentVolumeClaim inside a StatefulSet's volumeClaimTemplates
    # (V1PersistentVolumeClaimTemplate is the ephemeral volume's, a different shape).
    "V1PersistentVolumeClaim": "EmbeddedPersistentVolumeClaim",
    "CoreV1EndpointPort": "EndpointPort",
    "ApiextensionsV1ServiceReference": "CrdServiceReference",
    "ApiextensionsV1WebhookClientConfig": "CrdWebhookClientConfig",
    # In Kubernetes 1.22 the lifecycle hook's type is still called Handler.
    "V1Handler": "LifecycleHandler",
    "AdmissionregistrationV1WebhookClientConfig": "WebhookClientConfig",
    "AdmissionregistrationV1ServiceReference": "WebhookServiceReference",
    "ApiregistrationV1ServiceReference": "APIServiceReference",
    "DiscoveryV1EndpointPort": "EndpointSlicePort",
    "StorageV1TokenRequest": "CSITokenRequest",
    "V1Overhead": "RuntimeClassOverhead",
    "V1Scheduling": "RuntimeClassScheduling",
}

# Hand-written declarations, per file: (name, declaration). Skipped when core.gorch
# already declares the name.
HAND_TYPES = {
    "pod": [
        ("Protocol", 'type Protocol = "TCP" | "UDP" | "SCTP"'),
        ("RestartPolicy", 'type RestartPolicy = "Always" | "OnFailure" | "Never"'),
        ("PullPolicy", 'type PullPolicy = "Always" | "IfNotPresent" | "Never"'),
        ("DnsPolicy", 'type DnsPolicy = "ClusterFirstWithHostNet" | "ClusterFirst" | "Default" | "None"'),
        ("TerminationMessagePolicy", 'type TerminationMessagePolicy = "File" | "FallbackToLogsOnError"'),
        ("UriScheme", 'type UriScheme = "HTTP" | "HTTPS"'),
        ("MountPropagationMode", 'type MountPropagationMode = "None" | "HostToContainer" | "Bidirectional"'),
        ("HostPathType", 'type HostPathType = "" | "DirectoryOrCreate" | "Directory" | "FileOrCreate" | "File" | "Socket" | "CharDevice" | "BlockDevice"'),
        ("TaintEffect", '/// Empty matches every effect.\ntype TaintEffect = "" | "NoSchedule" | "PreferNoSchedule" | "NoExecute"'),
        ("TolerationOperator", '/// Empty means Equal.\ntype TolerationOperator = "" | "Exists" | "Equal"'),
        ("NodeSelectorOperator", 'type NodeSelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt"'),
        ("PersistentVolumeAccessMode", 'type PersistentVolumeAccessMode = "ReadWriteOnce" | "ReadOnlyMany" | "ReadWriteMany" | "ReadWriteOncePod"'),
        ("PersistentVolumeMode", 'type PersistentVolumeMode = "Filesystem" | "Block"'),
        ("PreemptionPolicy", 'type PreemptionPolicy = "PreemptLowerPriority" | "Never"'),
        ("UnsatisfiableConstraintAction", 'type UnsatisfiableConstraintAction = "DoNotSchedule" | "ScheduleAnyway"'),
        ("SeccompProfileType", 'type SeccompProfileType = "Unconfined" | "RuntimeDefault" | "Localhost"'),
        ("ProcMountType", 'type ProcMountType = "Default" | "Unmasked"'),
        ("FsGroupChangePolicy", 'type FsGroupChangePolicy = "OnRootMismatch" | "Always"'),
        ("StorageMedium", '/// "", "Memory", "HugePages" or "HugePages-<size>".\ntype StorageMedium = string(pattern: "(Memory|HugePages(-.+)?)?")'),
        ("ConfigMapKey", '/// A key of a ConfigMap or Secret (a file name when mounted).\ntype ConfigMapKey = string(pattern: "[-._a-zA-Z0-9]+", maxLen: 253)'),
        ("EnvVarName", 'type EnvVarName = string(pattern: "[-._a-zA-Z][-._a-zA-Z0-9]*")'),
        ("FileMode", '/// Unix permission bits, 0 to 0777 (YAML writes them in decimal: 420 is 0644).\ntype FileMode = int(0..511)'),
        ("ResourceList", '/// Resource name ("cpu", "memory", "nvidia.com/gpu") to amount.\ntype ResourceList = map<string, Quantity>'),
        ("ImagePullSecret", '/// A Secret holding registry credentials. A missing one only makes pulls\n/// anonymous, so the reference may dangle.\ntype ImagePullSecret = {\n  name?: ref<Secret>(optionalIf: true)\n}'),
    ],
    "apps": [
        ("DeploymentStrategyType", 'type DeploymentStrategyType = "Recreate" | "RollingUpdate"'),
        ("StatefulSetUpdateStrategyType", 'type StatefulSetUpdateStrategyType = "RollingUpdate" | "OnDelete"'),
        ("PodManagementPolicy", 'type PodManagementPolicy = "OrderedReady" | "Parallel"'),
        ("DaemonSetUpdateStrategyType", 'type DaemonSetUpdateStrategyType = "RollingUpdate" | "OnDelete"'),
    ],
    "batch": [
        ("ConcurrencyPolicy", 'type ConcurrencyPolicy = "Allow" | "Forbid" | "Replace"'),
        ("CompletionMode", 'type CompletionMode = "NonIndexed" | "Indexed"'),
        ("CronSchedule", '/// Five cron fields ("*/5 * * * *") or a macro ("@hourly"), optionally after\n/// CRON_TZ=<zone>.\ntype CronSchedule = string(pattern: "((CRON_)?TZ=\\\\S+\\\\s+)?(@[a-z]+(\\\\s+\\\\S+)?|\\\\S+(\\\\s+\\\\S+){4})")'),
    ],
    "service": [
        ("ServiceType", 'type ServiceType = "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName"'),
        ("ServiceAffinity", 'type ServiceAffinity = "None" | "ClientIP"'),
        ("TrafficPolicy", 'type TrafficPolicy = "Cluster" | "Local"'),
        ("IpFamily", 'type IpFamily = "IPv4" | "IPv6"'),
        ("IpFamilyPolicy", 'type IpFamilyPolicy = "SingleStack" | "PreferDualStack" | "RequireDualStack"'),
    ],
    "config": [
        ("Base64", '/// Base64 data (Secret.data), as Kubernetes decodes it.\ntype Base64 = string(pattern: "[A-Za-z0-9+/=\\\\s]*")'),
    ],
    "storage": [
        ("ReclaimPolicy", 'type ReclaimPolicy = "Retain" | "Delete" | "Recycle"'),
        ("VolumeBindingMode", 'type VolumeBindingMode = "Immediate" | "WaitForFirstConsumer"'),
    ],
    "networking": [
        ("PathType", 'type PathType = "Exact" | "Prefix" | "ImplementationSpecific"'),
        ("PolicyType", 'type PolicyType = "Ingress" | "Egress"'),
    ],
    "autoscaling": [
        ("MetricSourceType", 'type MetricSourceType = "Object" | "Pods" | "Resource" | "ContainerResource" | "External"'),
        ("MetricTargetType", 'type MetricTargetType = "Utilization" | "Value" | "AverageValue"'),
        ("ScalingPolicyType", 'type ScalingPolicyType = "Pods" | "Percent"'),
        ("ScalingPolicySelect", 'type ScalingPolicySelect = "Max" | "Min" | "Disabled"'),
    ],
    "policy": [
        ("LimitType", 'type LimitType = "Pod" | "Container" | "PersistentVolumeClaim"'),
    ],
    "cluster": [
        ("FailurePolicy", 'type FailurePolicy = "Ignore" | "Fail"'),
        ("SideEffectClass", 'type SideEffectClass = "None" | "NoneOnDryRun" | "Some" | "Unknown"'),
    ],
    "rbac": [
        ("SubjectKind", 'type SubjectKind = "ServiceAccount" | "User" | "Group"'),
        ("RoleRefKind", 'type RoleRefKind = "Role" | "ClusterRole"'),
    ],
    "apiextensions": [
        ("ResourceScope", 'type ResourceScope = "Cluster" | "Namespaced"'),
        ("ConversionStrategy", 'type ConversionStrategy = "None" | "Webhook"'),
    ],
}

_IMAGE_PULL_POLICY = (
    '(image.contains("@") || (image.split("/")[len(image.split("/")) - 1].contains(":")'
    ' && !image.endsWith(":latest"))) ? "IfNotPresent" : "Always"')

_CONTAINER = {
    "name": F(type="DnsLabel"),
    "image": F(type="string(minLen: 1)", required=True),
    # Kubernetes: Always for ":latest" or no tag, else IfNotPresent.
    "imagePullPolicy": F(type="PullPolicy", default=_IMAGE_PULL_POLICY, when="has(image)"),
    "ports": F(keyed="containerPort"),
    "env": F(keyed="name"),
    "volumeMounts": F(keyed="mountPath"),
    "volumeDevices": F(keyed="devicePath"),
    "terminationMessagePath": F(default='"/dev/termination-log"'),
    "terminationMessagePolicy": F(type="TerminationMessagePolicy", default='"File"'),
}

_PORT = "int(1..65535)"
_NONNEG = "int(0..)"
_POSITIVE = "int(1..)"
_ONE_PROBE = ('(has(exec) ? 1 : 0) + (has(httpGet) ? 1 : 0) + (has(tcpSocket) ? 1 : 0)'
              ' + (has(grpc) ? 1 : 0) == 1',
              "must specify exactly one of exec, httpGet, tcpSocket or grpc")
_ONE_HANDLER = ('(has(exec) ? 1 : 0) + (has(httpGet) ? 1 : 0) + (has(tcpSocket) ? 1 : 0)'
                ' + (has(sleep) ? 1 : 0) == 1',
                "must specify exactly one of exec, httpGet, tcpSocket or sleep")

_SPEC_REQUIRED = {"spec": F(required=True)}

FIELDS = {
    # ---------------------------------------------------------------- kinds
    # Kubernetes rejects these kinds without a spec (their spec has required parts).
    "Pod": _SPEC_REQUIRED,
    "Deployment": _SPEC_REQUIRED,
    "ReplicaSet": _SPEC_REQUIRED,
    "StatefulSet": _SPEC_REQUIRED,
    "DaemonSet": _SPEC_REQUIRED,
    "Job": _SPEC_REQUIRED,
    "CronJob": _SPEC_REQUIRED,
    "Service": _SPEC_REQUIRED,
    "Ingress": _SPEC_REQUIRED,
    "PersistentVolumeClaim": _SPEC_REQUIRED,
    "HorizontalPodAutoscaler": _SPEC_REQUIRED,
    # ---------------------------------------------------------------- pods
    "PodSpec": {
        "containers": F(keyed="name", min_items=1),
        "initContainers": F(keyed="name"),
        "ephemeralContainers": F(keyed="name"),
        "volumes": F(keyed="name"),
        "imagePullSecrets": F(elem="ImagePullSecret", keyed="name"),
        "hostAliases": F(keyed="ip"),
        "restartPolicy": F(type="RestartPolicy", default='"Always"'),
        "terminationGracePeriodSeconds": F(type=_NONNEG, default="30"),
        "activeDeadlineSeconds": F(type=_POSITIVE),
        "dnsPolicy": F(type="DnsPolicy", default='"ClusterFirst"'),
        # A "default" ServiceAccount always exists, so the reference may dangle.
        "serviceAccountName": F(ref="ServiceAccount", optional_if="true"),
        "nodeSelector": F(type="Labels"),
        "overhead": F(type="ResourceList"),
        "preemptionPolicy": F(type="PreemptionPolicy"),
        "hostname": F(type="DnsLabel"),
        "subdomain": F(type="DnsLabel"),
    },
    "Container": _CONTAINER,
    "EphemeralContainer": _CONTAINER,
    "ContainerPort": {
        "containerPort": F(type=_PORT),
        "hostPort": F(type="int(0..65535)"),
        "name": F(type="IanaSvcName"),
        "protocol": F(type="Protocol", default='"TCP"'),
    },
    "EnvVar": {"name": F(type="EnvVarName")},
    "ConfigMapKeySelector": {
        "name": F(ref="ConfigMap", optional_if="optional == true"),
        "key": F(type="ConfigMapKey"),
    },
    "SecretKeySelector": {
        "name": F(ref="Secret", optional_if="optional == true"),
        "key": F(type="ConfigMapKey"),
    },
    "ConfigMapEnvSource": {"name": F(ref="ConfigMap", optional_if="optional == true")},
    "SecretEnvSource": {"name": F(ref="Secret", optional_if="optional == true")},
    "ObjectFieldSelector": {"apiVersion": F(default='"v1"')},
    "ResourceFieldSelector": {"divisor": F(type="Quantity")},
    "ResourceRequirements": {
        "limits": F(type="ResourceList"),
        # Kubernetes copies limits into absent requests (per resource; here when
        # requests are absent altogether).
        "requests": F(type="ResourceList", default="limits", when="has(limits)"),
    },
    "Probe": {
        "initialDelaySeconds": F(type=_NONNEG),
        "timeoutSeconds": F(type=_POSITIVE, default="1"),
        "periodSeconds": F(type=_POSITIVE, default="10"),
        "successThreshold": F(type=_POSITIVE, default="1"),
        "failureThreshold": F(type=_POSITIVE, default="3"),
        "terminationGracePeriodSeconds": F(type=_POSITIVE),
    },
    "HTTPGetAction": {
        "port": F(type="IntOrString"),
        "path": F(default='"/"'),
        "scheme": F(type="UriScheme", default='"HTTP"'),
    },
    "HTTPHeader": {},
    "TCPSocketAction": {"port": F(type="IntOrString")},
    "VolumeMount": {
        "name": F(type="DnsLabel"),
        "mountPropagation": F(type="MountPropagationMode"),
    },
    "VolumeDevice": {"name": F(type="DnsLabel")},
    "Volume": {"name": F(type="DnsLabel")},
    "ConfigMapVolumeSource": {
        "name": F(ref="ConfigMap", optional_if="optional == true"),
        "defaultMode": F(type="FileMode", default="420"),
    },
    "SecretVolumeSource": {
        "secretName": F(ref="Secret", optional_if="optional == true"),
        "defaultMode": F(type="FileMode", default="420"),
    },
    "ConfigMapProjection": {"name": F(ref="ConfigMap", optional_if="optional == true")},
    "SecretProjection": {"name": F(ref="Secret", optional_if="optional == true")},
    "ProjectedVolumeSource": {"defaultMode": F(type="FileMode", default="420")},
    "DownwardAPIVolumeSource": {"defaultMode": F(type="FileMode", default="420")},
    "KeyToPath": {"mode": F(type="FileMode"), "key": F(type="ConfigMapKey")},
    "DownwardAPIVolumeFile": {"mode": F(type="FileMode")},
    "EmptyDirVolumeSource": {"medium": F(type="StorageMedium"), "sizeLimit": F(type="Quantity")},
    "HostPathVolumeSource": {"type": F(type="HostPathType", default='""')},
    "PersistentVolumeClaimVolumeSource": {"claimName": F(ref="PersistentVolumeClaim")},
    "Toleration": {
        "operator": F(type="TolerationOperator"),
        "effect": F(type="TaintEffect"),
    },
    "NodeSelectorRequirement": {"operator": F(type="NodeSelectorOperator")},
    "PreferredSchedulingTerm": {"weight": F(type="int(1..100)")},
    "WeightedPodAffinityTerm": {"weight": F(type="int(1..100)")},
    "TopologySpreadConstraint": {
        "maxSkew": F(type=_POSITIVE),
        "whenUnsatisfiable": F(type="UnsatisfiableConstraintAction"),
    },
    "SeccompProfile": {"type": F(type="SeccompProfileType")},
    "SecurityContext": {"procMount": F(type="ProcMountType")},
    "PodSecurityContext": {"fsGroupChangePolicy": F(type="FsGroupChangePolicy")},
    "PersistentVolumeClaimSpec": {
        "accessModes": F(elem="PersistentVolumeAccessMode"),
        "volumeMode": F(type="PersistentVolumeMode", default='"Filesystem"'),
    },
    "PersistentVolumeClaimStatus": {
        "accessModes": F(elem="PersistentVolumeAccessMode"),
        "capacity": F(type="ResourceList"),
    },
    # ---------------------------------------------------------------- apps
    "DeploymentSpec": {
        "replicas": F(type=_NONNEG, default="1"),
        "strategy": F(default="{}"),
        "revisionHistoryLimit": F(type=_NONNEG, default="10"),
        "progressDeadlineSeconds": F(type=_POSITIVE, default="600"),
        "minReadySeconds": F(type=_NONNEG),
    },
    "DeploymentStrategy": {
        "type": F(type="DeploymentStrategyType", default='"RollingUpdate"'),
        "rollingUpdate": F(default="{}", when='type == "RollingUpdate"'),
    },
    "RollingUpdateDeployment": {
        "maxUnavailable": F(type="IntOrPercent", default='"25%"'),
        "maxSurge": F(type="IntOrPercent", default='"25%"'),
    },
    "ReplicaSetSpec": {
        "replicas": F(type=_NONNEG, default="1"),
        "minReadySeconds": F(type=_NONNEG),
    },
    "StatefulSetSpec": {
        "replicas": F(type=_NONNEG, default="1"),
        "podManagementPolicy": F(type="PodManagementPolicy", default='"OrderedReady"'),
        "updateStrategy": F(default="{}"),
        "revisionHistoryLimit": F(type=_NONNEG, default="10"),
        "minReadySeconds": F(type=_NONNEG),
        # The governing headless Service "should" exist: the compiler warns.
        "serviceName": F(ref="Service", optional_if="true"),
    },
    "StatefulSetUpdateStrategy": {
        "type": F(type="StatefulSetUpdateStrategyType", default='"RollingUpdate"'),
        "rollingUpdate": F(default="{}", when='type == "RollingUpdate"'),
    },
    "RollingUpdateStatefulSetStrategy": {"partition": F(type=_NONNEG, default="0")},
    "DaemonSetSpec": {
        "updateStrategy": F(default="{}"),
        "revisionHistoryLimit": F(type=_NONNEG, default="10"),
        "minReadySeconds": F(type=_NONNEG),
    },
    "DaemonSetUpdateStrategy": {
        "type": F(type="DaemonSetUpdateStrategyType", default='"RollingUpdate"'),
        "rollingUpdate": F(default="{}", when='type == "RollingUpdate"'),
    },
    "RollingUpdateDaemonSet": {
        "maxUnavailable": F(type="IntOrPercent", default="1"),
        "maxSurge": F(type="IntOrPercent", default="0"),
    },
    # ---------------------------------------------------------------- batch
    "JobSpec": {
        "parallelism": F(type=_NONNEG, default="1"),
        # Kubernetes sets completions to 1 only when neither is written.
        "completions": F(type=_NONNEG, default="1", when="!has(parallelism)"),
        "backoffLimit": F(type=_NONNEG, default="6"),
        "completionMode": F(type="CompletionMode", default='"NonIndexed"'),
        "suspend": F(default="false"),
        "activeDeadlineSeconds": F(type=_POSITIVE),
        "ttlSecondsAfterFinished": F(type=_NONNEG),
    },
    "CronJobSpec": {
        "schedule": F(type="CronSchedule"),
        "concurrencyPolicy": F(type="ConcurrencyPolicy", default='"Allow"'),
        "suspend": F(default="false"),
        "successfulJobsHistoryLimit": F(type=_NONNEG, default="3"),
        "failedJobsHistoryLimit": F(type=_NONNEG, default="1"),
        "startingDeadlineSeconds": F(type=_NONNEG),
    },
    # ---------------------------------------------------------------- service
    "ServiceSpec": {
        "type": F(type="ServiceType", default='"ClusterIP"'),
        "ports": F(keyed="port"),
        "selector": F(type="Labels"),
        "sessionAffinity": F(type="ServiceAffinity", default='"None"'),
        "sessionAffinityConfig": F(default="{ clientIP: {} }", when='sessionAffinity == "ClientIP"'),
        "externalTrafficPolicy": F(type="TrafficPolicy", default='"Cluster"',
                                   when='type == "NodePort" || type == "LoadBalancer"'),
        "internalTrafficPolicy": F(type="TrafficPolicy"),
        "ipFamilies": F(elem="IpFamily"),
        "ipFamilyPolicy": F(type="IpFamilyPolicy"),
        "healthCheckNodePort": F(type="int(0..65535)"),
    },
    "ServicePort": {
        "name": F(type="DnsLabel"),
        "port": F(type=_PORT),
        "targetPort": F(type="IntOrString", default="port"),
        "protocol": F(type="Protocol", default='"TCP"'),
        "nodePort": F(type="int(0..65535)"),
    },
    "ClientIPConfig": {"timeoutSeconds": F(type="int(1..86400)", default="10800")},
    "EndpointPort": {"protocol": F(type="Protocol"), "port": F(type=_PORT)},
    # ---------------------------------------------------------------- config
    "ConfigMap": {
        "data": F(key="ConfigMapKey"),
        "binaryData": F(key="ConfigMapKey", elem="Base64"),
    },
    "Secret": {
        "data": F(key="ConfigMapKey", elem="Base64"),
        "stringData": F(key="ConfigMapKey"),
        "type": F(default='"Opaque"'),
    },
    "ServiceAccount": {"imagePullSecrets": F(elem="ImagePullSecret", keyed="name")},
    # ---------------------------------------------------------------- storage
    "PersistentVolumeSpec": {
        "accessModes": F(elem="PersistentVolumeAccessMode"),
        "capacity": F(type="ResourceList"),
        "persistentVolumeReclaimPolicy": F(type="ReclaimPolicy"),
        "volumeMode": F(type="PersistentVolumeMode"),
    },
    "StorageClass": {
        "reclaimPolicy": F(type="ReclaimPolicy"),
        "volumeBindingMode": F(type="VolumeBindingMode"),
    },
    # ---------------------------------------------------------------- networking
    "IngressServiceBackend": {"name": F(ref="Service")},
    "ServiceBackendPort": {"number": F(type=_PORT), "name": F(type="IanaSvcName")},
    "HTTPIngressPath": {"pathType": F(type="PathType")},
    # TLS Secrets are often made by a controller (cert-manager) after the Ingress.
    "IngressTLS": {"secretName": F(ref="Secret", optional_if="true")},
    "NetworkPolicySpec": {"policyTypes": F(elem="PolicyType")},
    "NetworkPolicyPort": {
        "port": F(type="IntOrString"),
        "protocol": F(type="Protocol", default='"TCP"'),
        "endPort": F(type=_PORT),
    },
    # ---------------------------------------------------------------- autoscaling
    "HorizontalPodAutoscalerSpec": {
        "minReplicas": F(type=_POSITIVE, default="1"),
        "maxReplicas": F(type=_POSITIVE),
        "targetCPUUtilizationPercentage": F(type=_POSITIVE),
    },
    "HorizontalPodAutoscalerSpecV2": {
        "minReplicas": F(type=_POSITIVE, default="1"),
        "maxReplicas": F(type=_POSITIVE),
    },
    "MetricSpecV2": {"type": F(type="MetricSourceType")},
    "MetricStatusV2": {"type": F(type="MetricSourceType")},
    "MetricTargetV2": {
        "type": F(type="MetricTargetType"),
        "value": F(type="Quantity"),
        "averageValue": F(type="Quantity"),
        "averageUtilization": F(type=_POSITIVE),
    },
    "MetricValueStatusV2": {"value": F(type="Quantity"), "averageValue": F(type="Quantity")},
    "HPAScalingPolicyV2": {
        "type": F(type="ScalingPolicyType"),
        "value": F(type=_POSITIVE),
        "periodSeconds": F(type="int(1..1800)"),
    },
    "HPAScalingRulesV2": {
        "selectPolicy": F(type="ScalingPolicySelect"),
        "stabilizationWindowSeconds": F(type="int(0..3600)"),
    },
    # ---------------------------------------------------------------- policy
    "PodDisruptionBudgetSpec": {
        "minAvailable": F(type="IntOrPercent"),
        "maxUnavailable": F(type="IntOrPercent"),
    },
    "LimitRangeItem": {
        "type": F(type="LimitType"),
        "default": F(type="ResourceList"),
        "defaultRequest": F(type="ResourceList"),
        "max": F(type="ResourceList"),
        "min": F(type="ResourceList"),
        "maxLimitRequestRatio": F(type="ResourceList"),
    },
    "ResourceQuotaSpec": {"hard": F(type="ResourceList")},
    "ResourceQuotaStatus": {"hard": F(type="ResourceList"), "used": F(type="ResourceList")},
    "PriorityClass": {"preemptionPolicy": F(type="PreemptionPolicy")},
    # ---------------------------------------------------------------- cluster
    "ValidatingWebhook": {"failurePolicy": F(type="FailurePolicy"),
                          "sideEffects": F(type="SideEffectClass")},
    "MutatingWebhook": {"failurePolicy": F(type="FailurePolicy"),
                        "sideEffects": F(type="SideEffectClass")},
    "RuntimeClassOverhead": {"podFixed": F(type="ResourceList")},
    "RuntimeClassScheduling": {"nodeSelector": F(type="Labels")},
    "EndpointSlice": {"addressType": F(type='"IPv4" | "IPv6" | "FQDN"')},
    "ReplicationControllerSpec": {
        "replicas": F(type=_NONNEG, default="1"),
        "selector": F(type="Labels"),
    },
    # ---------------------------------------------------------------- rbac
    "Subject": {"kind": F(type="SubjectKind")},
    "RoleRef": {"kind": F(type="RoleRefKind")},
    # ---------------------------------------------------------------- apiextensions
    "CustomResourceDefinitionSpec": {"scope": F(type="ResourceScope")},
    "CustomResourceConversion": {"strategy": F(type="ConversionStrategy")},
    # A CRD's OpenAPI schema is kept as written, not checked field by field.
    "CustomResourceValidation": {"openAPIV3Schema": F(type="any")},
    "CustomResourceSubresources": {"status": F(type="any")},
    # Free-form JSON in the python models ('object').
    "ManagedFieldsEntry": {"fieldsV1": F(type="any")},
}

_RESTART_ALWAYS = ('!has(template.spec) || template.spec.restartPolicy == "Always"',
                   'the pod template\'s restartPolicy must be "Always"')

WHERE = {
    "PodSpec": [
        ("all(c in containers : !has(c.restartPolicy))",
         "restartPolicy may only be set on init containers (sidecars)")],
    "Probe": [_ONE_PROBE],
    "LifecycleHandler": [_ONE_HANDLER],
    "EnvVar": [('!(has(valueFrom) && has(value) && value != "")',
                "value and valueFrom may not both be set")],
    "EnvVarSource": [
        ('(has(configMapKeyRef) ? 1 : 0) + (has(secretKeyRef) ? 1 : 0) + (has(fieldRef) ? 1 : 0)'
         ' + (has(resourceFieldRef) ? 1 : 0) == 1',
         "must specify exactly one of configMapKeyRef, secretKeyRef, fieldRef or resourceFieldRef")],
    "ResourceRequirements": [
        ('!has(requests) || !has(limits) || all(r in keys(requests) : !(r in limits)'
         ' || quantity(requests[r]) <= quantity(limits[r]))',
         "a resource request must not exceed its limit")],
    "DeploymentSpec": [
        _RESTART_ALWAYS,
        ("!has(minReadySeconds) || progressDeadlineSeconds > minReadySeconds",
         "progressDeadlineSeconds must be greater than minReadySeconds")],
    "DeploymentStrategy": [
        ('type == "RollingUpdate" || !has(rollingUpdate)',
         'rollingUpdate may not be set when the strategy type is "Recreate"')],
    "RollingUpdateDeployment": [
        ('!((maxSurge == 0 || maxSurge == "0%") && (maxUnavailable == 0 || maxUnavailable == "0%"))',
         "maxSurge and maxUnavailable may not both be 0")],
    "RollingUpdateDaemonSet": [
        ('!((maxSurge == 0 || maxSurge == "0%") && (maxUnavailable == 0 || maxUnavailable == "0%"))',
         "maxSurge and maxUnavailable may not both be 0")],
    "ReplicaSetSpec": [_RESTART_ALWAYS],
    "StatefulSetSpec": [_RESTART_ALWAYS],
    "DaemonSetSpec": [_RESTART_ALWAYS],
    "JobSpec": [
        ('!has(template.spec) || template.spec.restartPolicy in ["OnFailure", "Never"]',
         'a Job\'s pod template must set restartPolicy to "OnFailure" or "Never"'),
        ('completionMode != "Indexed" || has(completions)',
         'completions must be set when completionMode is "Indexed"')],
    "ServiceSpec": [
        ('type == "ExternalName" || clusterIP == "None" || (has(ports) && len(ports) > 0)',
         'a Service needs at least one port (unless it is headless or of type ExternalName)'),
        ('type != "ExternalName" || has(externalName)',
         'externalName is required when type is "ExternalName"'),
        ("!has(ports) || len(ports) <= 1 || all(p in ports : has(p.name))",
         "when a Service has more than one port, each must have a name")],
    "IngressSpec": [
        ("has(defaultBackend) || (has(rules) && len(rules) > 0)",
         "an Ingress needs rules or a defaultBackend")],
    "IngressBackend": [
        ("has(service) != has(resource)", "must specify exactly one of service or resource")],
    "ServiceBackendPort": [
        ("has(name) != has(number)", "must specify exactly one of name or number")],
    "HorizontalPodAutoscalerSpec": [
        ("minReplicas <= maxReplicas", "minReplicas must not exceed maxReplicas")],
    "HorizontalPodAutoscalerSpecV2": [
        ("minReplicas <= maxReplicas", "minReplicas must not exceed maxReplicas")],
    "MetricSpecV2": [
        ('(type != "Resource" || has(resource)) && (type != "Pods" || has(pods))'
         ' && (type != "Object" || has(object)) && (type != "External" || has(external))'
         ' && (type != "ContainerResource" || has(containerResource))',
         "the metric source named by type must be set")],
    "PodDisruptionBudgetSpec": [
        ("!(has(minAvailable) && has(maxUnavailable))",
         "minAvailable and maxUnavailable may not both be set")],
}

# Fields Kubernetes added after 1.22 that real manifests use (python3-kubernetes 22.6
# does not know them): per record, (field, Gorch type, required). Written after the
# generated fields, under a comment.
_AFTER_122_CONTAINER = [
    ("resizePolicy", "list<ContainerResizePolicy> keyed resourceName", False),  # 1.27
    ("restartPolicy", "ContainerRestartPolicy", False),  # 1.28: sidecar init containers
]
EXTRA_FIELDS = {
    "Probe": [("grpc", "GRPCAction", False)],  # 1.24
    "LifecycleHandler": [("sleep", "SleepAction", False)],  # 1.29
    "PodSpec": [
        ("os", "PodOS", False),  # 1.23
        ("hostUsers", "bool", False),  # 1.25
        ("schedulingGates", "list<PodSchedulingGate> keyed name", False),  # 1.26
    ],
    "Container": _AFTER_122_CONTAINER,
    "EphemeralContainer": _AFTER_122_CONTAINER,
    "SecurityContext": [("appArmorProfile", "AppArmorProfile", False)],  # 1.30
    "PodSecurityContext": [("appArmorProfile", "AppArmorProfile", False)],  # 1.30
    "ResourceRequirements": [("claims", "list<ResourceClaim> keyed name", False)],  # 1.26
    "VolumeMount": [("recursiveReadOnly", "RecursiveReadOnlyMode", False)],  # 1.30
    "Volume": [("image", "ImageVolumeSource", False)],  # 1.31
    "TopologySpreadConstraint": [  # 1.25-1.27
        ("minDomains", "int(1..)", False),
        ("nodeAffinityPolicy", "NodeInclusionPolicy", False),
        ("nodeTaintsPolicy", "NodeInclusionPolicy", False),
        ("matchLabelKeys", "list<string>", False),
    ],
    "PodAffinityTerm": [  # 1.29
        ("matchLabelKeys", "list<string>", False),
        ("mismatchLabelKeys", "list<string>", False),
    ],
    "PersistentVolumeClaimSpec": [("volumeAttributesClassName", "string", False)],  # 1.29
    "StatefulSetSpec": [
        ("persistentVolumeClaimRetentionPolicy", "StatefulSetPersistentVolumeClaimRetentionPolicy",
         False),  # 1.23
        ("ordinals", "StatefulSetOrdinals", False),  # 1.26
    ],
    "RollingUpdateStatefulSetStrategy": [("maxUnavailable", "IntOrPercent", False)],  # 1.24
    "JobSpec": [  # 1.25-1.30
        ("podFailurePolicy", "PodFailurePolicy", False),
        ("backoffLimitPerIndex", "int(0..)", False),
        ("maxFailedIndexes", "int(0..)", False),
        ("podReplacementPolicy", "PodReplacementPolicy", False),
        ("managedBy", "string", False),
    ],
    "CronJobSpec": [("timeZone", "string", False)],  # 1.25
    "ServiceSpec": [("trafficDistribution", "string", False)],  # 1.30
    "PodDisruptionBudgetSpec": [("unhealthyPodEvictionPolicy", "UnhealthyPodEvictionPolicy",
                                 False)],  # 1.26
}

HAND_TYPES["pod"] += [
    ("GRPCAction", "/// Kubernetes 1.24.\ntype GRPCAction = {\n  port: int(1..65535)\n  service?: string\n}"),
    ("SleepAction", "/// Kubernetes 1.29.\ntype SleepAction = {\n  seconds: int(0..)\n}"),
    ("PodOS", '/// Kubernetes 1.23.\ntype PodOS = {\n  name: "linux" | "windows"\n}'),
    ("PodSchedulingGate", "/// Kubernetes 1.26.\ntype PodSchedulingGate = {\n  name: string(minLen: 1)\n}"),
    ("ContainerResizePolicy", '/// Kubernetes 1.27.\ntype ContainerResizePolicy = {\n  resourceName: string\n  restartPolicy: "NotRequired" | "RestartContainer"\n}'),
    ("ContainerRestartPolicy", '/// Kubernetes 1.28: "Always" makes an init container a sidecar.\ntype ContainerRestartPolicy = "Always"'),
    ("AppArmorProfile", '/// Kubernetes 1.30.\ntype AppArmorProfile = {\n  type: "Unconfined" | "RuntimeDefault" | "Localhost"\n  localhostProfile?: string\n}'),
    ("ResourceClaim", "/// Kubernetes 1.26.\ntype ResourceClaim = {\n  name: string\n  request?: string\n}"),
    ("RecursiveReadOnlyMode", '/// Kubernetes 1.30.\ntype RecursiveReadOnlyMode = "Disabled" | "IfPossible" | "Enabled"'),
    ("ImageVolumeSource", "/// Kubernetes 1.31.\ntype ImageVolumeSource = {\n  reference?: string\n  pullPolicy?: PullPolicy\n}"),
    ("NodeInclusionPolicy", '/// Kubernetes 1.25.\ntype NodeInclusionPolicy = "Honor" | "Ignore"'),
]
HAND_TYPES["apps"] += [
    ("StatefulSetPersistentVolumeClaimRetentionPolicy", '/// Kubernetes 1.23.\ntype StatefulSetPersistentVolumeClaimRetentionPolicy = {\n  whenDeleted?: "Retain" | "Delete"\n  whenScaled?: "Retain" | "Delete"\n}'),
    ("StatefulSetOrdinals", "/// Kubernetes 1.26.\ntype StatefulSetOrdinals = {\n  start?: int(0..)\n}"),
]
HAND_TYPES["batch"] += [
    ("PodFailurePolicy", "/// Kubernetes 1.25.\ntype PodFailurePolicy = {\n  rules: list<PodFailurePolicyRule>\n}"),
    ("PodFailurePolicyRule", 'type PodFailurePolicyRule = {\n  action: "FailJob" | "FailIndex" | "Ignore" | "Count"\n  onExitCodes?: PodFailurePolicyOnExitCodesRequirement\n  onPodConditions?: list<PodFailurePolicyOnPodConditionsPattern>\n}'),
    ("PodFailurePolicyOnExitCodesRequirement", 'type PodFailurePolicyOnExitCodesRequirement = {\n  containerName?: string\n  operator: "In" | "NotIn"\n  values: list<int>\n}'),
    ("PodFailurePolicyOnPodConditionsPattern", 'type PodFailurePolicyOnPodConditionsPattern = {\n  type: string\n  status?: "True" | "False" | "Unknown"\n}'),
    ("PodReplacementPolicy", '/// Kubernetes 1.28.\ntype PodReplacementPolicy = "TerminatingOrFailed" | "Failed"'),
]
HAND_TYPES["policy"] += [
    ("UnhealthyPodEvictionPolicy", '/// Kubernetes 1.26.\ntype UnhealthyPodEvictionPolicy = "IfHealthyBudget" | "AlwaysAllow"'),
]

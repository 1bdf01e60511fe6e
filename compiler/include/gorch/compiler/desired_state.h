// DesiredState: the typed graph the compiler produces and the planner consumes.
// Plain structs (as Ninja's Node/Edge): a value, copied across module boundaries.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gorch/lang/diagnostic.h"
#include "gorch/lang/value.h"

namespace gorch::compiler {

// A resource's identity. namespace_ is empty for cluster-scoped kinds.
struct ResourceId {
  std::string kind;
  std::string namespace_;
  std::string name;

  // "Deployment/default/web" (cluster-scoped: "Namespace//shop").
  std::string ToString() const;
  // The store key, "/Deployment/default/web".
  std::string StoreKey() const;
  friend auto operator<=>(const ResourceId&, const ResourceId&) = default;
};

struct Resource {
  ResourceId id;
  std::string api_version;  // as written ("apps/v1")
  lang::SourcePos pos;      // where its document starts
  bool runs = true;         // false: a kind gorch keeps but does not act on
  std::string content_hash; // sha256 (hex) of the canonical JSON of object
  lang::Value object;       // the type-checked, defaulted manifest
};

enum class EdgeKind : unsigned char {
  kSelects,     // Service/PDB/HPA... selects the pods of a workload (by labels)
  kUses,        // a pod template uses a ConfigMap / Secret / PVC / ServiceAccount
  kBackend,     // an Ingress routes to a Service
  kTarget,      // an HPA scales a workload
  kGoverns,     // a StatefulSet's serviceName names its headless Service
  kInNamespace, // a namespaced resource lives in a Namespace declared here
};
std::string_view EdgeKindName(EdgeKind k);

// from depends on to: `to` is created first and deleted last.
struct Edge {
  size_t from = 0;  // index into DesiredState::resources
  size_t to = 0;
  EdgeKind kind = EdgeKind::kUses;
  std::string field_path;  // where the reference was written, e.g. "spec.rules[0]..."
};

struct DesiredState {
  std::vector<Resource> resources;  // sorted by id
  std::vector<Edge> edges;          // sorted by (from, to, kind)
  std::vector<size_t> order;        // a topological order: dependencies first
  std::string commit;               // git commit the sources came from, or empty
  std::string source;               // how the source was named
  std::string hash;                 // sha256 over every resource's id and content hash

  const Resource* Find(const ResourceId& id) const;
  // Full graph as deterministic JSON (byte-for-byte stable for equal inputs).
  std::string ToJson() const;
};

// Creation rank of a kind among kinds that do not depend on each other (lower
// first): Namespace 0, cluster config, ServiceAccounts, ConfigMaps/Secrets, PVCs,
// Services, workloads, then Ingress/HPA/PDB. Deletion runs in reverse.
int CreationRank(std::string_view kind);

// Paths of the values in object that defaulting filled in ("spec.replicas"),
// outermost only, in document order.
std::vector<std::string> DefaultedPaths(const lang::Value& object);

}  // namespace gorch::compiler

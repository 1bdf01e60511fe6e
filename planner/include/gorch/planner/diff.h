// Diff: desired state against live state, per resource and per field, with the
// field structure taken from the schemas (lists of containers, ports, env...
// are matched by their key, not by position), so the output is exact and stable.
// Pure: no I/O, no clock.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gorch/compiler/desired_state.h"
#include "gorch/lang/types.h"
#include "gorch/lang/value.h"
#include "gorch/planner/live_state.h"

namespace gorch::planner {

enum class Action : unsigned char {
  kCreate,  // in git, not live
  kUpdate,  // in both, fields differ
  kDelete,  // live and created by gorch, gone from git (prune)
  kNoOp,    // in both, equal
  kOrphan,  // live, gone from git, not created by gorch: reported, never touched
};
std::string_view ActionName(Action a);  // "create", "update", "delete", "no-op", "orphan"

struct FieldChange {
  // Path with keyed list items named by key: "spec.template.spec.containers[web].image";
  // unkeyed list items by index: "spec.rules[0].host".
  std::string path;
  std::optional<lang::Value> before;  // absent: the field is added
  std::optional<lang::Value> after;   // absent: the field is removed
};

struct ResourceChange {
  compiler::ResourceId id;
  std::string api_version;
  Action action = Action::kNoOp;
  std::vector<FieldChange> fields;  // kUpdate only, in document order
  lang::SourcePos pos;              // where it is written (create/update)
};

struct DiffOptions {
  bool prune = true;  // delete what left git (only what gorch created)
  // Whose plan this is (LiveResource::owner). Live resources another owner
  // applied are not in this plan's scope: never deleted, nor reported as orphans.
  std::string owner;
  // Compare every object field by field, even when its appliedHash says it is
  // what the desired state holds: finds drift made after the apply (GitOps).
  bool compare_applied = false;
};

// Changes in apply order: creates and updates in the desired state's order
// (dependencies first), then deletes in reverse creation rank (dependents first),
// then orphans. No-ops are included (action kNoOp) so callers can count them.
std::vector<ResourceChange> Diff(const compiler::DesiredState& desired, const LiveState& live,
                                 const lang::SchemaSet& schemas, const DiffOptions& options = {});

// The field changes between two objects of one kind (exposed for tests and for
// drift detection). Fields the control plane owns (status, metadata.uid,
// resourceVersion, generation, creationTimestamp, managedFields) are ignored, and
// so is a defaulted desired value the live object does not have.
std::vector<FieldChange> DiffObjects(const lang::Value& desired, const lang::Value& live,
                                     const lang::Type* body_type, const lang::SchemaSet& schemas);

}  // namespace gorch::planner

// LiveState: what the cluster holds, as a value read from the store at one
// revision (a consistent snapshot). The planner never reads the store itself:
// the engine or the CLI builds a LiveState and hands it over.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gorch/base/status.h"
#include "gorch/compiler/desired_state.h"
#include "gorch/lang/value.h"

namespace gorch::planner {

struct LiveResource {
  compiler::ResourceId id;
  std::string api_version;
  // The object as last applied (defaults included), plus whatever the control
  // plane filled in (status, metadata.uid, ...), which the diff ignores.
  lang::Value object;
  std::string applied_hash;  // the desired content hash it was applied from
  bool managed = true;       // created by gorch: only then may a prune delete it
  int64_t mod_revision = 0;
  // Who applied it: "" for `gorch apply`, "git:<source>" for a git source of the
  // control plane (engine/gitops.h). A plan prunes only what its owner applied.
  std::string owner;

  // How the store keeps it, at key id.StoreKey():
  // {"apiVersion","managed","appliedHash",["owner",]"object"} ("owner" only when set).
  std::string ToStoreValue() const;
};

// The store key of the last apply's record: {"commit","hash"}.
inline constexpr std::string_view kAppliedKey = "/gorch/applied";

struct LiveState {
  int64_t revision = 0;         // the store revision the snapshot was read at
  std::string applied_commit;   // git commit of the last applied desired state
  std::string applied_hash;     // DesiredState::hash of the last apply
  std::vector<LiveResource> resources;  // sorted by id

  const LiveResource* Find(const compiler::ResourceId& id) const;
  void Sort();

  // JSON form (`gorch plan --live FILE`, and how the store keeps resources):
  // {"revision":N,"appliedCommit":"..","appliedHash":"..","resources":[
  //   {"kind","namespace","name","apiVersion","managed","modRevision","appliedHash",["owner",]"object"}]}
  std::string ToJson() const;
  static Result<LiveState> FromJson(std::string_view json, std::string_view file_name);

  // From store entries (key, value) read at `revision`: resources under
  // "/<Kind>/<namespace>/<name>"; entries the control plane made itself (objects
  // with metadata.ownerReferences, Nodes, Events) and "/gorch/..." records other
  // than kAppliedKey are not resources the desired state manages and are skipped.
  static Result<LiveState> FromStore(int64_t revision,
                                     const std::vector<std::pair<std::string, std::string>>& entries);
};

}  // namespace gorch::planner

// Helpers of the API server: store keys <-> (kind, namespace, name), label
// selectors, and the mapping between gorch Status and gRPC status.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gorch/base/status.h"

namespace gorch::engine::server {

struct ObjectKey {
  std::string kind, namespace_, name;
};

// "/<Kind>/<ns>/<name>" (ns empty for cluster-scoped kinds).
std::string StoreKey(std::string_view kind, std::string_view ns, std::string_view name);
// The inverse of StoreKey; false for keys of another shape ("/gorch/...").
bool ParseStoreKey(std::string_view key, ObjectKey& out);
// The key of a resource's controller-written status.
std::string StatusKey(std::string_view kind, std::string_view ns, std::string_view name);

// InvalidArgument unless s is a usable kind / namespace / name: non-empty (a
// namespace may be empty), at most 253 bytes, no '/' or control characters.
Status ValidateSegment(std::string_view what, std::string_view s, bool may_be_empty);

// An equality-based label selector ("a=b,c!=d,e,!f"; "==" is "=").
struct LabelRequirement {
  enum class Op { kEqual, kNotEqual, kExists, kNotExists } op = Op::kExists;
  std::string key, value;
};
using Selector = std::vector<LabelRequirement>;
Result<Selector> ParseSelector(std::string_view text);
bool SelectorMatches(const Selector& selector, const std::map<std::string, std::string>& labels);
// object.metadata.labels of a store value (envelope or {"object": ...}); empty
// when the value has none or is not JSON.
std::map<std::string, std::string> LabelsOf(std::string_view store_value);

grpc::Status ToGrpc(const Status& s);

}  // namespace gorch::engine::server

// A client of the gorch API (proto/gorch/v1/gorch.proto) for the CLI and tests:
// every call has a deadline, and every failure comes back as a Status whose
// message says what went wrong in the user's words (server unreachable, stale
// plan, not found), never an exception.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "gorch/base/status.h"
#include "gorch/planner/live_state.h"
#include "gorch/planner/scheduler_model.h"
#include "gorch/v1/gorch.grpc.pb.h"

namespace gorch::engine {

struct ClientOptions {
  std::string address;  // host:port of `gorch server`
  // Deadline of each unary call (connecting included).
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  int max_message_bytes = 64 << 20;
};

// What the server's live state looks like to the planner.
struct RemoteLiveState {
  planner::LiveState live;
  planner::ClusterSnapshot nodes;
};

class GorchClient {
 public:
  // Does not connect; the first call does. InvalidArgument for an empty address.
  static Result<std::unique_ptr<GorchClient>> Connect(const ClientOptions& options);

  const std::string& address() const { return options_.address; }

  // A stale plan is FailedPrecondition; the message says to plan again.
  Result<v1::ApplyPlanResponse> ApplyPlan(const std::string& plan_json, int64_t expected_base_revision);
  Result<RemoteLiveState> ReadLiveState();
  Result<v1::GetResponse> Get(const std::string& kind, const std::string& ns, const std::string& name);
  Result<v1::ListResponse> List(const v1::ListRequest& request);
  Result<v1::ListEventsResponse> ListEvents(const v1::ListEventsRequest& request);
  Result<v1::RegisterNodeResponse> RegisterNode(const v1::RegisterNodeRequest& request);
  Result<v1::HeartbeatResponse> Heartbeat(const std::string& node, int64_t lease_id);
  Result<v1::UpdatePodStatusResponse> UpdatePodStatus(const v1::UpdatePodStatusRequest& request);

  // Rollout verbs on a Deployment (kind "Deployment"). History is a read (retried
  // across a restart); Undo and Pause are mutations (not retried).
  Result<v1::RolloutHistoryResponse> RolloutHistory(const v1::RolloutTarget& target);
  // to_revision 0: the revision before the current one. Returns the revision rolled back to.
  Result<int64_t> RolloutUndo(const v1::RolloutTarget& target, int64_t to_revision);
  Status RolloutPause(const v1::RolloutTarget& target, bool paused);

  // Calls on_event for each change until on_event returns false (Ok), `stop`
  // becomes true (checked at least every 200 ms; Ok), or the stream fails (its
  // error). No overall deadline.
  Status Watch(const v1::WatchRequest& request, const std::function<bool(const v1::WatchEvent&)>& on_event,
               const std::atomic<bool>* stop = nullptr);

 private:
  explicit GorchClient(const ClientOptions& options);
  std::unique_ptr<grpc::ClientContext> NewContext() const;
  Status FromGrpc(const grpc::Status& s) const;

  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Gorch::Stub> stub_;
};

}  // namespace gorch::engine

// The Gorch gRPC service over a store. Object reads and applies are in
// service.cc, the node-agent calls in node_service.cc.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>

#include "gorch/engine/controllers.h"
#include "gorch/engine/server.h"
#include "gorch/store/store.h"
#include "gorch/v1/gorch.grpc.pb.h"
#include "server/node_pods.h"

namespace gorch::engine::server {

// WatchNodePods is served with the callback API (one hub, no thread per agent);
// every other method is synchronous.
class GorchService final : public gorch::v1::Gorch::WithCallbackMethod_WatchNodePods<gorch::v1::Gorch::Service> {
 public:
  GorchService(store::Store& store, const ServerOptions& options)
      : store_(store), options_(options), wall_clock_(SystemWallClock()), node_pods_(store, options.stream_poll) {}

  // Starts the per-node pod streams' hub (before the server accepts calls).
  Status Start() { return node_pods_.Start(); }
  // Streams end at their next poll once this is set.
  void BeginShutdown() {
    stopping_ = true;
    node_pods_.Stop();
  }

  grpc::Status ApplyPlan(grpc::ServerContext*, const v1::ApplyPlanRequest*, v1::ApplyPlanResponse*) override;
  grpc::Status ReadLiveState(grpc::ServerContext*, const v1::ReadLiveStateRequest*,
                             v1::ReadLiveStateResponse*) override;
  grpc::Status Get(grpc::ServerContext*, const v1::GetRequest*, v1::GetResponse*) override;
  grpc::Status List(grpc::ServerContext*, const v1::ListRequest*, v1::ListResponse*) override;
  grpc::Status Watch(grpc::ServerContext*, const v1::WatchRequest*, grpc::ServerWriter<v1::WatchEvent>*) override;
  grpc::Status ListEvents(grpc::ServerContext*, const v1::ListEventsRequest*, v1::ListEventsResponse*) override;

  grpc::Status RegisterNode(grpc::ServerContext*, const v1::RegisterNodeRequest*,
                            v1::RegisterNodeResponse*) override;
  grpc::Status Heartbeat(grpc::ServerContext*, const v1::HeartbeatRequest*, v1::HeartbeatResponse*) override;
  grpc::ServerWriteReactor<v1::NodePodEvent>* WatchNodePods(grpc::CallbackServerContext*,
                                                            const v1::WatchNodePodsRequest*) override;
  grpc::Status UpdatePodStatus(grpc::ServerContext*, const v1::UpdatePodStatusRequest*,
                               v1::UpdatePodStatusResponse*) override;

  // Rollout verbs (rollout_service.cc).
  grpc::Status RolloutHistory(grpc::ServerContext*, const v1::RolloutHistoryRequest*,
                              v1::RolloutHistoryResponse*) override;
  grpc::Status RolloutUndo(grpc::ServerContext*, const v1::RolloutUndoRequest*, v1::RolloutUndoResponse*) override;
  grpc::Status RolloutPause(grpc::ServerContext*, const v1::RolloutPauseRequest*, v1::RolloutPauseResponse*) override;

 private:
  // True while the stream's client is there and the server is not stopping.
  bool StreamAlive(grpc::ServerContext* ctx) const { return !stopping_ && !ctx->IsCancelled(); }

  void Log(const std::string& line);
  // The template hash a rollback in force for the Deployment rolls out, or "".
  Result<std::string> RollbackTemplateHash(const v1::RolloutTarget& target);

  store::Store& store_;
  const ServerOptions options_;
  std::shared_ptr<store::Clock> wall_clock_;  // event timestamps
  std::atomic<bool> stopping_{false};
  std::mutex log_mu_;
  NodePodHub node_pods_;
};

}  // namespace gorch::engine::server

#include "gorch/engine/client.h"

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "gorch/planner/scheduler_input.h"
#include "gorch/planner/value_json.h"

namespace gorch::engine {

GorchClient::GorchClient(const ClientOptions& options) : options_(options) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options.max_message_bytes);
  args.SetMaxSendMessageSize(options.max_message_bytes);
  // Reconnect quickly after a server restart instead of backing off for minutes.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  channel_ = grpc::CreateCustomChannel(options.address, grpc::InsecureChannelCredentials(), args);
  stub_ = v1::Gorch::NewStub(channel_);
}

Result<std::unique_ptr<GorchClient>> GorchClient::Connect(const ClientOptions& options) {
  if (options.address.empty()) return Status::InvalidArgument("no server address (--server HOST:PORT)");
  if (options.address.find(':') == std::string::npos)
    return Status::InvalidArgument("server address \"" + options.address + "\" is not HOST:PORT");
  return std::unique_ptr<GorchClient>(new GorchClient(options));
}

std::unique_ptr<grpc::ClientContext> GorchClient::NewContext() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + options_.timeout);
  // Wait for the connection (up to the deadline) rather than failing at once while
  // the server starts.
  ctx->set_wait_for_ready(true);
  return ctx;
}

Status GorchClient::FromGrpc(const grpc::Status& s) const {
  const std::string& m = s.error_message();
  switch (s.error_code()) {
    case grpc::StatusCode::OK: return Status::Ok();
    case grpc::StatusCode::NOT_FOUND: return Status::NotFound(m);
    case grpc::StatusCode::INVALID_ARGUMENT: return Status::InvalidArgument(m);
    case grpc::StatusCode::ALREADY_EXISTS: return Status::AlreadyExists(m);
    case grpc::StatusCode::FAILED_PRECONDITION: return Status::FailedPrecondition(m);
    case grpc::StatusCode::DATA_LOSS: return Status::Corruption(m);
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return Status::ResourceExhausted(m);
    case grpc::StatusCode::OUT_OF_RANGE: return Status::Compacted(m);
    case grpc::StatusCode::ABORTED: return Status::Aborted(m);
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return Status::Unavailable("gorch server at " + options_.address + " did not answer within " +
                                 std::to_string(options_.timeout.count()) + " ms (is it running?)");
    case grpc::StatusCode::UNAVAILABLE:
      return Status::Unavailable("cannot reach gorch server at " + options_.address + ": " + m);
    default: return Status::Internal("gorch server at " + options_.address + ": " + m);
  }
}

namespace {

// Runs a read-only call again while it fails with UNAVAILABLE (a connection that
// broke under it, e.g. a server restart), until `deadline`. Mutations are not
// retried: the caller cannot know whether they took effect.
template <typename Fn>
grpc::Status RetryRead(std::chrono::system_clock::time_point deadline, Fn&& call) {
  while (true) {
    grpc::Status s = call();
    if (s.error_code() != grpc::StatusCode::UNAVAILABLE || std::chrono::system_clock::now() + std::chrono::milliseconds(100) >= deadline)
      return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

Result<v1::ApplyPlanResponse> GorchClient::ApplyPlan(const std::string& plan_json, int64_t expected_base_revision) {
  v1::ApplyPlanRequest req;
  req.set_plan_json(plan_json);
  req.set_expected_base_revision(expected_base_revision);
  v1::ApplyPlanResponse resp;
  auto ctx = NewContext();
  if (Status s = FromGrpc(stub_->ApplyPlan(ctx.get(), req, &resp)); !s.ok()) return s;
  return resp;
}

Result<RemoteLiveState> GorchClient::ReadLiveState() {
  v1::ReadLiveStateResponse resp;
  const auto deadline = std::chrono::system_clock::now() + options_.timeout;
  grpc::Status g = RetryRead(deadline, [&] {
    auto ctx = NewContext();
    ctx->set_deadline(deadline);
    return stub_->ReadLiveState(ctx.get(), v1::ReadLiveStateRequest(), &resp);
  });
  if (Status s = FromGrpc(g); !s.ok()) return s;
  RemoteLiveState out;
  auto live = planner::LiveState::FromJson(resp.live_state_json(), "server live state");
  if (!live.ok()) return live.status();
  out.live = std::move(*live);
  for (const auto& json : resp.node_json()) {
    auto value = planner::ParseJsonValue(json, "server node");
    if (!value.ok()) return value.status();
    auto node = planner::NodeInfoFromObject(*value);
    if (!node.ok()) return node.status();
    out.nodes.nodes.push_back(std::move(*node));
  }
  return out;
}

Result<v1::GetResponse> GorchClient::Get(const std::string& kind, const std::string& ns, const std::string& name) {
  v1::GetRequest req;
  req.set_kind(kind);
  req.set_namespace_(ns);
  req.set_name(name);
  v1::GetResponse resp;
  const auto deadline = std::chrono::system_clock::now() + options_.timeout;
  grpc::Status g = RetryRead(deadline, [&] {
    auto ctx = NewContext();
    ctx->set_deadline(deadline);
    return stub_->Get(ctx.get(), req, &resp);
  });
  if (Status s = FromGrpc(g); !s.ok()) return s;
  return resp;
}

Result<v1::ListResponse> GorchClient::List(const v1::ListRequest& req) {
  v1::ListResponse resp;
  const auto deadline = std::chrono::system_clock::now() + options_.timeout;
  grpc::Status g = RetryRead(deadline, [&] {
    auto ctx = NewContext();
    ctx->set_deadline(deadline);
    return stub_->List(ctx.get(), req, &resp);
  });
  if (Status s = FromGrpc(g); !s.ok()) return s;
  return resp;
}

Result<v1::ListEventsResponse> GorchClient::ListEvents(const v1::ListEventsRequest& req) {
  v1::ListEventsResponse resp;
  const auto deadline = std::chrono::system_clock::now() + options_.timeout;
  grpc::Status g = RetryRead(deadline, [&] {
    auto ctx = NewContext();
    ctx->set_deadline(deadline);
    return stub_->ListEvents(ctx.get(), req, &resp);
  });
  if (Status s = FromGrpc(g); !s.ok()) return s;
  return resp;
}

Result<v1::RegisterNodeResponse> GorchClient::RegisterNode(const v1::RegisterNodeRequest& req) {
  v1::RegisterNodeResponse resp;
  auto ctx = NewContext();
  if (Status s = FromGrpc(stub_->RegisterNode(ctx.get(), req, &resp)); !s.ok()) return s;
  return resp;
}

Result<v1::HeartbeatResponse> GorchClient::Heartbeat(const std::string& node, int64_t lease_id) {
  v1::HeartbeatRequest req;
  req.set_node(node);
  req.set_lease_id(lease_id);
  v1::HeartbeatResponse resp;
  auto ctx = NewContext();
  if (Status s = FromGrpc(stub_->Heartbeat(ctx.get(), req, &resp)); !s.ok()) return s;
  return resp;
}

Result<v1::UpdatePodStatusResponse> GorchClient::UpdatePodStatus(const v1::UpdatePodStatusRequest& req) {
  v1::UpdatePodStatusResponse resp;
  auto ctx = NewContext();
  if (Status s = FromGrpc(stub_->UpdatePodStatus(ctx.get(), req, &resp)); !s.ok()) return s;
  return resp;
}

Result<v1::RolloutHistoryResponse> GorchClient::RolloutHistory(const v1::RolloutTarget& target) {
  v1::RolloutHistoryRequest req;
  *req.mutable_target() = target;
  v1::RolloutHistoryResponse resp;
  const auto deadline = std::chrono::system_clock::now() + options_.timeout;
  grpc::Status g = RetryRead(deadline, [&] {
    auto ctx = NewContext();
    ctx->set_deadline(deadline);
    return stub_->RolloutHistory(ctx.get(), req, &resp);
  });
  if (Status s = FromGrpc(g); !s.ok()) return s;
  return resp;
}

Result<int64_t> GorchClient::RolloutUndo(const v1::RolloutTarget& target, int64_t to_revision) {
  v1::RolloutUndoRequest req;
  *req.mutable_target() = target;
  req.set_to_revision(to_revision);
  v1::RolloutUndoResponse resp;
  auto ctx = NewContext();
  if (Status s = FromGrpc(stub_->RolloutUndo(ctx.get(), req, &resp)); !s.ok()) return s;
  return resp.revision();
}

Status GorchClient::RolloutPause(const v1::RolloutTarget& target, bool paused) {
  v1::RolloutPauseRequest req;
  *req.mutable_target() = target;
  req.set_paused(paused);
  v1::RolloutPauseResponse resp;
  auto ctx = NewContext();
  return FromGrpc(stub_->RolloutPause(ctx.get(), req, &resp));
}

Status GorchClient::Watch(const v1::WatchRequest& req, const std::function<bool(const v1::WatchEvent&)>& on_event,
                          const std::atomic<bool>* stop) {
  grpc::ClientContext ctx;
  ctx.set_wait_for_ready(true);
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  // Cancels the stream when `stop` is set; the blocked Read() then returns false.
  std::thread canceller([&] {
    std::unique_lock<std::mutex> lock(mu);
    while (!done) {
      if (stop && stop->load()) {
        ctx.TryCancel();
        return;
      }
      cv.wait_for(lock, std::chrono::milliseconds(100));
    }
  });
  auto reader = stub_->Watch(&ctx, req);
  v1::WatchEvent event;
  bool by_callback = false;
  while (reader->Read(&event)) {
    if (!on_event(event)) {
      by_callback = true;
      ctx.TryCancel();
      break;
    }
  }
  grpc::Status s = reader->Finish();
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  cv.notify_all();
  canceller.join();
  if (by_callback || (stop && stop->load())) return Status::Ok();
  if (s.ok()) return Status::Unavailable("the server ended the watch");
  return FromGrpc(s);
}

}  // namespace gorch::engine

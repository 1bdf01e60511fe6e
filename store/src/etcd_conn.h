// The etcd store's connection: one gRPC channel and set of stubs per endpoint, the
// endpoint currently in use, and the mapping of gRPC errors to Status. Shared by the
// store and its watch streams (a stream may outlive the store).
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "gorch/base/status.h"
#include "gorch/store/etcd_store.h"
#include "gorch/store/store.h"

namespace gorch::store::internal {

struct EtcdEndpoint {
  std::string address;  // host:port
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<etcdserverpb::KV::Stub> kv;  // on `channel`
  // KV stubs on kv_channels channels (the first is `kv`), used in turn by Kv().
  std::vector<std::shared_ptr<grpc::Channel>> kv_channels;
  std::vector<std::unique_ptr<etcdserverpb::KV::Stub>> kv_stubs;
  std::atomic<size_t> next_kv{0};
  etcdserverpb::KV::Stub& Kv() {
    if (kv_stubs.empty()) return *kv;
    return *kv_stubs[next_kv.fetch_add(1, std::memory_order_relaxed) % kv_stubs.size()];
  }
  std::unique_ptr<etcdserverpb::Watch::Stub> watch;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease;
  std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance;
};

class EtcdConnection {
 public:
  // Parses the endpoint list and creates a channel per endpoint (no I/O yet).
  static Result<std::shared_ptr<EtcdConnection>> Create(const EtcdOptions& options);

  const EtcdOptions& options() const { return options_; }
  size_t size() const { return endpoints_.size(); }
  // The endpoint in use, and the one after it (for failover).
  EtcdEndpoint& Current() { return *endpoints_[current_.load() % endpoints_.size()]; }
  void Rotate() { current_.fetch_add(1); }
  EtcdEndpoint& At(size_t i) { return *endpoints_[(current_.load() + i) % endpoints_.size()]; }

  // A context whose deadline is now + timeout.
  std::unique_ptr<grpc::ClientContext> Context(std::chrono::milliseconds timeout) const;

  // Runs `call(endpoint, context)`, a unary RPC. When `idempotent`, an unreachable
  // endpoint makes it try the next one; otherwise it fails with Unavailable and the
  // next call starts at the next endpoint.
  template <typename F>
  Status Call(bool idempotent, F call) {
    grpc::Status last;
    std::string last_address;
    const size_t tries = idempotent ? endpoints_.size() : 1;
    for (size_t i = 0; i < tries; ++i) {
      EtcdEndpoint& ep = Current();
      auto ctx = Context(options_.request_timeout);
      grpc::Status s = call(ep, ctx.get());
      if (s.ok()) return Status::Ok();
      last = s;
      last_address = ep.address;
      if (s.error_code() != grpc::StatusCode::UNAVAILABLE &&
          s.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
        break;
      }
      Rotate();
    }
    return FromGrpc(last, last_address);
  }

  // Maps an etcd/gRPC error to a Status that names the endpoint.
  static Status FromGrpc(const grpc::Status& s, const std::string& address);

 private:
  explicit EtcdConnection(EtcdOptions options) : options_(std::move(options)) {}

  EtcdOptions options_;
  std::vector<std::unique_ptr<EtcdEndpoint>> endpoints_;
  std::atomic<size_t> current_{0};
};

// Conversions between the store's types and etcd's protobuf messages.
void ToPb(const RangeRequest& in, etcdserverpb::RangeRequest* out);
void ToPb(const PutRequest& in, etcdserverpb::PutRequest* out);
void ToPb(const DeleteRequest& in, etcdserverpb::DeleteRangeRequest* out);
void ToPb(const TxnRequest& in, etcdserverpb::TxnRequest* out);
KeyValue FromPb(const mvccpb::KeyValue& kv);
RangeResponse FromPb(const etcdserverpb::RangeResponse& r);
PutResponse FromPb(const etcdserverpb::PutResponse& r);
DeleteResponse FromPb(const etcdserverpb::DeleteRangeResponse& r);
TxnResponse FromPb(const etcdserverpb::TxnResponse& r);
Event FromPb(const mvccpb::Event& e);

// Starts a watch stream over `conn`; waits until etcd confirms it (or fails).
Result<std::unique_ptr<WatchStream>> StartEtcdWatch(std::shared_ptr<EtcdConnection> conn,
                                                    const WatchRequest& req);

}  // namespace gorch::store::internal

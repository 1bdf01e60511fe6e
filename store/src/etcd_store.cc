// The store over etcd's v3 gRPC API.
#include "gorch/store/etcd_store.h"

#include <condition_variable>
#include <mutex>

#include "etcd_conn.h"

namespace gorch::store {
namespace {

namespace pb = etcdserverpb;
using internal::EtcdConnection;
using internal::EtcdEndpoint;
using internal::FromPb;
using internal::ToPb;

class EtcdStore : public Store {
 public:
  explicit EtcdStore(std::shared_ptr<EtcdConnection> conn) : conn_(std::move(conn)) {}

  // Waits for the callbacks of asynchronous writes still in flight.
  ~EtcdStore() override {
    std::unique_lock<std::mutex> l(async_mu_);
    async_cv_.wait(l, [&] { return in_flight_ == 0; });
  }

  // Asks each endpoint for its status until one answers within dial_timeout.
  Status Dial() {
    grpc::Status last;
    std::string address;
    for (size_t i = 0; i < conn_->size(); ++i) {
      EtcdEndpoint& ep = conn_->Current();
      auto ctx = conn_->Context(conn_->options().dial_timeout);
      pb::StatusRequest req;
      pb::StatusResponse resp;
      last = ep.maintenance->Status(ctx.get(), req, &resp);
      if (last.ok()) return Status::Ok();
      address = ep.address;
      conn_->Rotate();
    }
    Status s = EtcdConnection::FromGrpc(last, address);
    return Status::Unavailable("cannot reach etcd at " + conn_->options().endpoints + ": " + s.message());
  }

 protected:
  Result<RangeResponse> DoRange(const RangeRequest& req) override {
    pb::RangeRequest in;
    ToPb(req, &in);
    in.set_serializable(conn_->options().serializable_reads);
    pb::RangeResponse out;
    GORCH_RETURN_IF_ERROR(conn_->Call(true, [&](EtcdEndpoint& ep, grpc::ClientContext* ctx) {
      return ep.Kv().Range(ctx, in, &out);
    }));
    return FromPb(out);
  }

  Result<PutResponse> DoPut(const PutRequest& req) override {
    pb::PutRequest in;
    ToPb(req, &in);
    pb::PutResponse out;
    GORCH_RETURN_IF_ERROR(conn_->Call(false, [&](EtcdEndpoint& ep, grpc::ClientContext* ctx) {
      return ep.Kv().Put(ctx, in, &out);
    }));
    return FromPb(out);
  }

  Result<DeleteResponse> DoDelete(const DeleteRequest& req) override {
    pb::DeleteRangeRequest in;
    ToPb(req, &in);
    pb::DeleteRangeResponse out;
    GORCH_RETURN_IF_ERROR(conn_->Call(false, [&](EtcdEndpoint& ep, grpc::ClientContext* ctx) {
      return ep.Kv().DeleteRange(ctx, in, &out);
    }));
    return FromPb(out);
  }

  Result<TxnResponse> DoTxn(const TxnRequest& req) override {
    pb::TxnRequest in;
    ToPb(req, &in);
    pb::TxnResponse out;
    GORCH_RETURN_IF_ERROR(conn_->Call(false, [&](EtcdEndpoint& ep, grpc::ClientContext* ctx) {
      return ep.Kv().Txn(ctx, in, &out);
    }));
    return FromPb(out);
  }

  // Asynchronous writes: gRPC's callback API on the same channel; `done` runs on a
  // gRPC thread. Not retried on another endpoint (like a synchronous write).
  void DoPutAsync(PutRequest req, PutCallback done) override {
    CallAsync<pb::PutRequest, pb::PutResponse>(
        [&](pb::PutRequest* in) { ToPb(req, in); },
        [](EtcdEndpoint& ep, grpc::ClientContext* ctx, const pb::PutRequest* in, pb::PutResponse* out,
           std::function<void(grpc::Status)> cb) { ep.Kv().async()->Put(ctx, in, out, std::move(cb)); },
        [done = std::move(done)](Result<const pb::PutResponse*> r) {
          if (!r.ok()) {
            done(r.status());
          } else {
            done(FromPb(**r));
          }
        });
  }

  void DoTxnAsync(TxnRequest req, TxnCallback done) override {
    CallAsync<pb::TxnRequest, pb::TxnResponse>(
        [&](pb::TxnRequest* in) { ToPb(req, in); },
        [](EtcdEndpoint& ep, grpc::ClientContext* ctx, const pb::TxnRequest* in, pb::TxnResponse* out,
           std::function<void(grpc::Status)> cb) { ep.Kv().async()->Txn(ctx, in, out, std::move(cb)); },
        [done = std::move(done)](Result<const pb::TxnResponse*> r) {
          if (!r.ok()) {
            done(r.status());
          } else {
            done(FromPb(**r));
          }
        });
  }

  Result<std::unique_ptr<WatchStream>> DoWatch(const WatchRequest& req) override {
    return internal::StartEtcdWatch(conn_, req);
  }

  Status DoCompact(int64_t revision) override {
    pb::CompactionRequest in;
    in.set_revision(revision);
    in.set_physical(true);
    pb::CompactionResponse out;
    return conn_->Call(false, [&](EtcdEndpoint& ep, grpc::ClientContext* ctx) {
      return ep.Kv().Compact(ctx, in, &out);
    });
  }

  Result<LeaseGrantResponse> DoLeaseGrant(int64_t ttl_seconds, int64_t id) override {
    pb::LeaseGrantRequest in;
    in.set_ttl(ttl_seconds);
    in.set_id(id);
    pb::LeaseGrantResponse out;
    GORCH_RETURN_IF_ERROR(conn_->Call(false, [&](EtcdEndpoint& ep, grpc::ClientContext* ctx) {
      return ep.lease->LeaseGrant(ctx, in, &out);
    }));
    if (!out.error().empty()) return Status::FailedPrecondition("etcd: lease grant: " + out.error());
    return LeaseGrantResponse{out.id(), out.ttl()};
  }

  // One round on a LeaseKeepAlive stream.
  Result<int64_t> DoLeaseKeepAlive(int64_t id) override {
    pb::LeaseKeepAliveResponse out;
    GORCH_RETURN_IF_ERROR(conn_->Call(true, [&](EtcdEndpoint& ep, grpc::ClientContext* ctx) {
      auto stream = ep.lease->LeaseKeepAlive(ctx);
      pb::LeaseKeepAliveRequest in;
      in.set_id(id);
      bool ok = stream->Write(in) && stream->WritesDone() && stream->Read(&out);
      if (ok) ctx->TryCancel();  // we have our one answer
      grpc::Status s = stream->Finish();
      return ok ? grpc::Status::OK : s;
    }));
    if (out.ttl() <= 0) return LeaseNotFound(id);
    return out.ttl();
  }

  Status DoLeaseRevoke(int64_t id) override {
    pb::LeaseRevokeRequest in;
    in.set_id(id);
    pb::LeaseRevokeResponse out;
    return conn_->Call(false, [&](EtcdEndpoint& ep, grpc::ClientContext* ctx) {
      return ep.lease->LeaseRevoke(ctx, in, &out);
    });
  }

  Result<LeaseInfo> DoLeaseTimeToLive(int64_t id, bool with_keys) override {
    pb::LeaseTimeToLiveRequest in;
    in.set_id(id);
    in.set_keys(with_keys);
    pb::LeaseTimeToLiveResponse out;
    GORCH_RETURN_IF_ERROR(conn_->Call(true, [&](EtcdEndpoint& ep, grpc::ClientContext* ctx) {
      return ep.lease->LeaseTimeToLive(ctx, in, &out);
    }));
    if (out.ttl() < 0) return LeaseNotFound(id);
    LeaseInfo info;
    info.id = out.id();
    info.ttl = out.ttl();
    info.granted_ttl = out.grantedttl();
    for (const std::string& k : out.keys()) info.keys.push_back(k);
    return info;
  }

  Result<StoreStats> DoStats() override {
    pb::StatusResponse status;
    GORCH_RETURN_IF_ERROR(conn_->Call(true, [&](EtcdEndpoint& ep, grpc::ClientContext* ctx) {
      return ep.maintenance->Status(ctx, pb::StatusRequest(), &status);
    }));
    auto count = DoRange([] {
      RangeRequest r = RangeRequest::Prefix("");
      r.count_only = true;
      return r;
    }());
    if (!count.ok()) return count.status();
    pb::LeaseLeasesResponse leases;
    GORCH_RETURN_IF_ERROR(conn_->Call(true, [&](EtcdEndpoint& ep, grpc::ClientContext* ctx) {
      return ep.lease->LeaseLeases(ctx, pb::LeaseLeasesRequest(), &leases);
    }));
    StoreStats s;
    s.backend = "etcd " + status.version();
    s.location = conn_->options().endpoints;
    s.revision = count->revision;
    s.compact_revision = -1;
    s.keys = count->count;
    s.size_bytes = status.dbsize();
    s.leases = leases.leases_size();
    return s;
  }

 private:
  static Status LeaseNotFound(int64_t id) {
    return Status::NotFound("lease " + std::to_string(id) + " not found (or expired)");
  }

  // Starts one asynchronous unary call: `fill` builds the request, `start` issues
  // it on an endpoint, `finish` gets the response (or the mapped error) on the gRPC
  // thread that completes it.
  template <typename Req, typename Resp, typename Fill, typename Start, typename Finish>
  void CallAsync(Fill fill, Start start, Finish finish) {
    struct Call {
      grpc::ClientContext ctx;
      Req in;
      Resp out;
      std::string address;
    };
    auto* call = new Call;
    fill(&call->in);
    EtcdEndpoint& ep = conn_->Current();
    call->address = ep.address;
    call->ctx.set_deadline(std::chrono::system_clock::now() + conn_->options().request_timeout);
    {
      std::lock_guard<std::mutex> l(async_mu_);
      ++in_flight_;
    }
    start(ep, &call->ctx, &call->in, &call->out,
          [this, call, finish = std::move(finish)](grpc::Status s) mutable {
            std::unique_ptr<Call> owned(call);
            if (s.ok()) {
              finish(&owned->out);
            } else {
              if (s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                  s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
                conn_->Rotate();
              }
              finish(EtcdConnection::FromGrpc(s, owned->address));
            }
            owned.reset();
            std::lock_guard<std::mutex> l(async_mu_);
            if (--in_flight_ == 0) async_cv_.notify_all();
          });
  }

  std::shared_ptr<EtcdConnection> conn_;
  std::mutex async_mu_;
  std::condition_variable async_cv_;
  int64_t in_flight_ = 0;  // asynchronous calls whose callback has not finished
};

}  // namespace

Result<std::unique_ptr<Store>> OpenEtcdStore(const EtcdOptions& options) {
  auto conn = EtcdConnection::Create(options);
  if (!conn.ok()) return conn.status();
  auto store = std::make_unique<EtcdStore>(std::move(*conn));
  if (options.dial_timeout.count() > 0) GORCH_RETURN_IF_ERROR(store->Dial());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace gorch::store

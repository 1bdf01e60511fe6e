// A thin client of the CRI runtime.v1 services: every call has a deadline and
// comes back as a Status / Result, never an exception. Thread safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "cri/runtime/v1/api.grpc.pb.h"
#include "gorch/base/status.h"

namespace gorch::agent {

class CriClient {
 public:
  // endpoint: "unix:///path/to.sock" (a bare path gets "unix://" in front).
  CriClient(const std::string& endpoint, std::chrono::milliseconds timeout);

  const std::string& endpoint() const { return endpoint_; }

  // Calls stub method `call` of the runtime or image service with request `req`.
  // Errors: Unavailable (socket down, deadline passed: "…did not answer within"),
  // NotFound (the runtime's NOT_FOUND), Internal (anything else, with the
  // runtime's message).
  template <typename Req, typename Resp>
  Result<Resp> Runtime(grpc::Status (runtime::v1::RuntimeService::Stub::*call)(grpc::ClientContext*, const Req&, Resp*),
                       const Req& req, std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
    Resp resp;
    grpc::ClientContext ctx;
    SetDeadline(ctx, timeout);
    grpc::Status s = ((*runtime_).*call)(&ctx, req, &resp);
    if (!s.ok()) return FromGrpc(s, timeout);
    return resp;
  }
  template <typename Req, typename Resp>
  Result<Resp> Image(grpc::Status (runtime::v1::ImageService::Stub::*call)(grpc::ClientContext*, const Req&, Resp*),
                     const Req& req, std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
    Resp resp;
    grpc::ClientContext ctx;
    SetDeadline(ctx, timeout);
    grpc::Status s = ((*image_).*call)(&ctx, req, &resp);
    if (!s.ok()) return FromGrpc(s, timeout);
    return resp;
  }

 private:
  void SetDeadline(grpc::ClientContext& ctx, std::chrono::milliseconds timeout) const;
  Status FromGrpc(const grpc::Status& s, std::chrono::milliseconds timeout) const;

  std::string endpoint_;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<runtime::v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<runtime::v1::ImageService::Stub> image_;
};

}  // namespace gorch::agent

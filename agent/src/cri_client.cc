#include "cri_client.h"

#include <grpcpp/grpcpp.h>

namespace gorch::agent {

CriClient::CriClient(const std::string& endpoint, std::chrono::milliseconds timeout)
    : endpoint_(endpoint.find("://") == std::string::npos ? "unix://" + endpoint : endpoint), timeout_(timeout) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetMaxReceiveMessageSize(16 << 20);
  channel_ = grpc::CreateCustomChannel(endpoint_, grpc::InsecureChannelCredentials(), args);
  runtime_ = runtime::v1::RuntimeService::NewStub(channel_);
  image_ = runtime::v1::ImageService::NewStub(channel_);
}

void CriClient::SetDeadline(grpc::ClientContext& ctx, std::chrono::milliseconds timeout) const {
  if (timeout.count() <= 0) timeout = timeout_;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
}

Status CriClient::FromGrpc(const grpc::Status& s, std::chrono::milliseconds timeout) const {
  if (timeout.count() <= 0) timeout = timeout_;
  switch (s.error_code()) {
    case grpc::StatusCode::OK: return Status::Ok();
    case grpc::StatusCode::NOT_FOUND: return Status::NotFound(s.error_message());
    case grpc::StatusCode::UNAVAILABLE:
      return Status::Unavailable("container runtime at " + endpoint_ + " unavailable: " + s.error_message());
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return Status::Unavailable("container runtime at " + endpoint_ + " did not answer within " +
                                 std::to_string(timeout.count()) + " ms");
    case grpc::StatusCode::INVALID_ARGUMENT: return Status::InvalidArgument(s.error_message());
    default: return Status::Internal(s.error_message());
  }
}

}  // namespace gorch::agent

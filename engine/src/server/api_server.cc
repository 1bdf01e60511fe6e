#include <grpcpp/grpcpp.h>

#include <mutex>

#include "gorch/engine/server.h"
#include "server/service.h"

namespace gorch::engine {
namespace {

class ApiServerImpl final : public ApiServer {
 public:
  ApiServerImpl(store::Store& store, const ServerOptions& options) : service_(store, options) {}
  ~ApiServerImpl() override { Shutdown(std::chrono::milliseconds(0)); }

  Status Start(const ServerOptions& options) {
    if (Status s = service_.Start(); !s.ok()) return s;
    grpc::ServerBuilder builder;
    builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &port_);
    builder.SetMaxReceiveMessageSize(options.max_message_bytes);
    builder.SetMaxSendMessageSize(options.max_message_bytes);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    if (!server_ || port_ == 0) return Status::Unavailable("cannot listen on " + options.listen);
    return Status::Ok();
  }

  int port() const override { return port_; }

  void Shutdown(std::chrono::milliseconds grace) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!server_) return;
    service_.BeginShutdown();
    server_->Shutdown(std::chrono::system_clock::now() + grace);
    server_->Wait();
    server_.reset();
  }

 private:
  server::GorchService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::mutex mu_;
};

}  // namespace

Result<std::unique_ptr<ApiServer>> ApiServer::Start(store::Store& store, const ServerOptions& options) {
  if (options.listen.empty() || options.listen.find(':') == std::string::npos)
    return Status::InvalidArgument("listen address \"" + options.listen + "\" is not HOST:PORT");
  if (options.max_message_bytes < 4096) return Status::InvalidArgument("max_message_bytes is below 4096");
  if (options.heartbeat_ttl_seconds < 1) return Status::InvalidArgument("heartbeat_ttl_seconds must be at least 1");
  auto server = std::make_unique<ApiServerImpl>(store, options);
  if (Status s = server->Start(options); !s.ok()) return s;
  return std::unique_ptr<ApiServer>(std::move(server));
}

}  // namespace gorch::engine

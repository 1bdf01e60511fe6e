#include "gorch/agent/log_server.h"

#include <grpcpp/grpcpp.h>

#include <deque>
#include <fstream>
#include <thread>

#include "gorch/v1/agent.grpc.pb.h"

namespace gorch::agent {

namespace fs = std::filesystem;

std::string CriLogText(std::string_view data) {
  std::string out;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    std::string_view line = data.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? data.size() : nl + 1;
    // <time> <stream> <tag> <text>
    size_t a = line.find(' ');
    size_t b = a == std::string_view::npos ? a : line.find(' ', a + 1);
    size_t c = b == std::string_view::npos ? b : line.find(' ', b + 1);
    std::string_view stream = b == std::string_view::npos ? "" : line.substr(a + 1, b - a - 1);
    std::string_view tag = c == std::string_view::npos ? "" : line.substr(b + 1, c - b - 1);
    if ((stream != "stdout" && stream != "stderr") || (tag != "F" && tag != "P")) {
      out.append(line);
      out.push_back('\n');
      continue;
    }
    out.append(line.substr(c + 1));
    if (tag == "F") out.push_back('\n');
  }
  return out;
}

namespace {

// The whole lines of `text`: the last `tail` ones when tail > 0, all when 0, none
// when negative (`--tail 0 -f`: only what comes next).
std::string TailLines(const std::string& text, int64_t tail) {
  if (tail < 0) return "";
  if (tail == 0) return text;
  size_t pos = text.size();
  int64_t lines = 0;
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  while (pos > 0) {
    size_t nl = text.rfind('\n', pos - 1);
    if (++lines == tail) return text.substr(nl == std::string::npos ? 0 : nl + 1);
    if (nl == std::string::npos) break;
    pos = nl;
  }
  return text;
}

grpc::Status ToGrpc(const Status& s) {
  if (s.IsNotFound()) return {grpc::StatusCode::NOT_FOUND, s.message()};
  if (s.IsInvalidArgument()) return {grpc::StatusCode::INVALID_ARGUMENT, s.message()};
  return {grpc::StatusCode::INTERNAL, s.message()};
}

class AgentService final : public v1::Agent::Service {
 public:
  explicit AgentService(LogSource source) : source_(std::move(source)) {}

  grpc::Status Logs(grpc::ServerContext* ctx, const v1::LogsRequest* req,
                    grpc::ServerWriter<v1::LogChunk>* writer) override {
    auto path = source_.locate(req->namespace_(), req->pod(), req->container(), req->previous());
    if (!path.ok()) return ToGrpc(path.status());
    std::ifstream in(*path, std::ios::binary);
    if (!in) return {grpc::StatusCode::NOT_FOUND, "cannot open " + path->string()};
    // What is there now: whole lines only (a line being written is sent once complete).
    std::string pending((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t cut = pending.rfind('\n');
    std::string complete = cut == std::string::npos ? "" : pending.substr(0, cut + 1);
    pending.erase(0, complete.size());
    if (!Send(writer, TailLines(CriLogText(complete), req->tail()))) return grpc::Status::OK;
    if (!req->follow() || req->previous()) return grpc::Status::OK;
    int idle = 0;
    while (!ctx->IsCancelled()) {
      char buf[16384];
      in.clear();
      in.read(buf, sizeof buf);
      std::streamsize n = in.gcount();
      if (n > 0) {
        idle = 0;
        pending.append(buf, static_cast<size_t>(n));
        size_t end = pending.rfind('\n');
        if (end == std::string::npos) continue;
        if (!Send(writer, CriLogText(std::string_view(pending).substr(0, end + 1)))) break;
        pending.erase(0, end + 1);
        continue;
      }
      // Every second or so: is the pod still here?
      if (++idle % 10 == 0 && !source_.alive(req->namespace_(), req->pod())) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return grpc::Status::OK;
  }

 private:
  static bool Send(grpc::ServerWriter<v1::LogChunk>* writer, const std::string& text) {
    if (text.empty()) return true;
    v1::LogChunk chunk;
    chunk.set_data(text);
    return writer->Write(chunk);
  }

  LogSource source_;
};

}  // namespace

class LogServer::Impl {
 public:
  explicit Impl(LogSource source) : service(std::move(source)) {}
  AgentService service;
  std::unique_ptr<grpc::Server> server;
};

Result<std::unique_ptr<LogServer>> LogServer::Start(const std::string& address, LogSource source) {
  std::unique_ptr<LogServer> out(new LogServer());
  out->impl_ = std::make_unique<Impl>(std::move(source));
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&out->impl_->service);
  out->impl_->server = builder.BuildAndStart();
  if (!out->impl_->server || port == 0) return Status::Unavailable("agent cannot listen on " + address);
  std::string host = address.substr(0, address.rfind(':'));
  if (host.empty() || host == "0.0.0.0" || host == "[::]") host = "127.0.0.1";
  out->address_ = host + ":" + std::to_string(port);
  return out;
}

LogServer::~LogServer() {
  if (impl_ && impl_->server) impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

}  // namespace gorch::agent

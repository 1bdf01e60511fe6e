#include "log_flusher.h"

#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gorch::store::internal {

LogFlusher::LogFlusher(size_t max_in_flight, SyncPoller* poller, Done done)
    : max_in_flight_(std::max<size_t>(1, max_in_flight)), poller_(poller), done_(std::move(done)) {
  for (size_t i = 0; i < max_in_flight_; ++i) {
    threads_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "gorch-flush");
      Run();
    });
  }
}

LogFlusher::~LogFlusher() {
  Drain();
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void LogFlusher::Start(uint64_t ticket, int fd, const std::string& path) {
  {
    std::unique_lock<std::mutex> l(mu_);
    idle_cv_.wait(l, [&] { return running_ < max_in_flight_; });
    queue_.push_back(Job{ticket, fd, path});
    ++running_;
  }
  cv_.notify_one();
}

void LogFlusher::Drain() {
  std::unique_lock<std::mutex> l(mu_);
  idle_cv_.wait(l, [&] { return running_ == 0; });
}

void LogFlusher::Run() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    cv_.wait(l, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    l.unlock();
    Status s;
    {
      SyncPoller::Scope flushing(*poller_);
      if (fdatasync(job.fd) != 0) s = Status::IOError("sync " + job.path + ": " + std::strerror(errno));
    }
    // Report every ticket whose predecessors have all finished, in order. The
    // report lock is taken before mu_, so reports cannot be overtaken.
    std::lock_guard<std::mutex> r(report_mu_);
    l.lock();
    if (!s.ok() && (error_.ok() || job.ticket < error_ticket_)) {
      error_ = s;
      error_ticket_ = job.ticket;
    }
    finished_.insert(job.ticket);
    uint64_t through = reported_;
    while (!finished_.empty() && *finished_.begin() == through + 1) {
      finished_.erase(finished_.begin());
      ++through;
    }
    const bool report = through > reported_;
    const Status error = !error_.ok() && through >= error_ticket_ ? error_ : Status::Ok();
    if (report) {
      reported_ = through;
      l.unlock();
      done_(through, error);
      l.lock();
    }
    --running_;
    idle_cv_.notify_all();
  }
}

}  // namespace gorch::store::internal

#include "tests/support/nginx_proxy.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace shoebox::testing {
namespace {

bool Accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

NginxProxy::NginxProxy(const std::vector<std::string>& upstreams) {
  port_ = FreePort();
  std::string d = dir_.path().string();
  std::string servers;
  for (const std::string& upstream : upstreams) {
    servers += "    server " + upstream + " max_fails=1 fail_timeout=2s;\n";
  }
  WriteFile(dir_.path() / "nginx.conf",
            "daemon off;\nworker_processes 1;\npid " + d + "/nginx.pid;\nerror_log " + d +
                "/error.log warn;\nevents { worker_connections 256; }\nhttp {\n"
                "  access_log off;\n"
                "  client_body_temp_path " + d + "/body;\n  proxy_temp_path " + d + "/proxy;\n"
                "  fastcgi_temp_path " + d + "/fastcgi;\n  uwsgi_temp_path " + d + "/uwsgi;\n"
                "  scgi_temp_path " + d + "/scgi;\n"
                "  upstream shoebox {\n" + servers + "    keepalive 16;\n  }\n"
                "  server {\n    listen 127.0.0.1:" + std::to_string(port_) + ";\n"
                "    client_max_body_size 0;\n    proxy_request_buffering off;\n"
                "    proxy_buffering off;\n    proxy_http_version 1.1;\n"
                "    proxy_set_header Connection \"\";\n    proxy_set_header Host $host;\n"
                "    proxy_set_header X-Forwarded-For $remote_addr;\n"
                "    proxy_read_timeout 300s;\n    proxy_next_upstream error timeout;\n"
                "    location / { proxy_pass http://shoebox; }\n  }\n}\n");
  pid_ = ::fork();
  if (pid_ == 0) {
    ::execl("/usr/sbin/nginx", "nginx", "-p", d.c_str(), "-c", (d + "/nginx.conf").c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 100; ++i) {
    if (Accepts(port_)) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("nginx did not start: " + ReadFile(dir_.path() / "error.log"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("nginx did not listen in time");
}

NginxProxy::~NginxProxy() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

}  // namespace shoebox::testing

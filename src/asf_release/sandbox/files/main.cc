/*
@HEADER@
 */

// The sample server: `-v` prints the version; `-c FILE` serves PING on the port the file names
// (6666 by default) until SHUTDOWN. Started as `redis-cli -p PORT ping`, it is the client.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "version.h"

static int Port(const char *config) {
  std::ifstream in(config);
  std::string key;
  int value = 6666;
  while (in >> key) {
    if (key == "port" && in >> value) break;
  }
  return value;
}

static int Serve(int port) {
  int server = socket(AF_INET, SOCK_STREAM, 0);
  int yes = 1;
  setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(server, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0 || listen(server, 8) != 0) {
    std::perror("listen");
    return 1;
  }
  std::printf("@PRODUCT@ (sample) %s: ready to accept connections on port %d\n", VersionString(), port);
  std::fflush(stdout);
  for (;;) {
    int client = accept(server, nullptr, nullptr);
    if (client < 0) continue;
    char buffer[512] = {0};
    ssize_t got = read(client, buffer, sizeof(buffer) - 1);
    std::string request(buffer, got > 0 ? got : 0);
    bool stop = request.find("SHUTDOWN") != std::string::npos;
    const char *answer = request.find("PING") != std::string::npos ? "+PONG\r\n" : "-ERR unknown command\r\n";
    if (write(client, answer, std::strlen(answer)) < 0) std::perror("write");
    close(client);
    if (stop) return 0;
  }
}

static int Ping(int port) {
  int sock = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(sock, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0) {
    std::printf("Could not connect to 127.0.0.1:%d\n", port);
    return 1;
  }
  const char *request = "*1\r\n$4\r\nPING\r\n";
  if (write(sock, request, std::strlen(request)) < 0) return 1;
  char buffer[64] = {0};
  ssize_t got = read(sock, buffer, sizeof(buffer) - 1);
  close(sock);
  if (got > 1 && buffer[0] == '+') {
    std::printf("%.*s\n", static_cast<int>(std::strcspn(buffer + 1, "\r\n")), buffer + 1);
    return 0;
  }
  return 1;
}

int main(int argc, char **argv) {
  const char *name = std::strrchr(argv[0], '/') ? std::strrchr(argv[0], '/') + 1 : argv[0];
  if (std::strcmp(name, "redis-cli") == 0) {
    int port = 6666;
    for (int i = 1; i + 1 < argc; ++i) {
      if (std::strcmp(argv[i], "-p") == 0) port = std::atoi(argv[i + 1]);
    }
    return Ping(port);
  }
  if (argc > 1 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "-v") == 0)) {
    std::printf("@SHORT@ version %s\n", VersionString());
    return 0;
  }
  if (argc > 2 && std::strcmp(argv[1], "-c") == 0) return Serve(Port(argv[2]));
  std::printf("@PRODUCT@ (sample) %s: ready to accept connections\n", VersionString());
  return 0;
}

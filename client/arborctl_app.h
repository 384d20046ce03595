// Command-line front end of arborctl: parses the arguments with CLI11, finds the key, connects
// and runs one command.
//
// Exit codes: 0 on success; 1 when the server returns an error, printed on err as
// "error: <GRPC_CODE_NAME>: <message>"; 2 on a usage error (bad arguments, bad --vector text, an
// unreadable or malformed file), printed as "error: <message>" or as CLI11's parse message.
//
// Thread safety: RunArborctl() reads the environment and may be called from one thread at a time.

#ifndef ARBOR_CLIENT_ARBORCTL_APP_H_
#define ARBOR_CLIENT_ARBORCTL_APP_H_

#include <ostream>

namespace arbor::client {

inline constexpr int kExitSuccess = 0;
inline constexpr int kExitServerError = 1;
inline constexpr int kExitUsageError = 2;

// Runs arborctl with the given arguments (argv[0] is the program name). Writes results to out and
// errors, help for errors and progress to err. Draws a progress bar only when err_is_terminal.
int RunArborctl(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
                bool err_is_terminal);

}  // namespace arbor::client

#endif  // ARBOR_CLIENT_ARBORCTL_APP_H_

#pragma once
// pareto-cli subcommands. Each registers its options on the CLI11 app and returns
// the function that runs it; errors are thrown as pareto::Error and reported by main.
#include <CLI/CLI.hpp>

#include <functional>

namespace pareto::cli {

using Command = std::function<int()>;

Command add_info(CLI::App& app);
Command add_tokenize(CLI::App& app);
Command add_run(CLI::App& app);
Command add_perplexity(CLI::App& app);
Command add_eval(CLI::App& app);
Command add_synth(CLI::App& app);
Command add_bench(CLI::App& app);
Command add_compress(CLI::App& app);
Command add_sensitivity(CLI::App& app);
Command add_profile(CLI::App& app);
Command add_trace(CLI::App& app);
Command add_convert(CLI::App& app);

// Shared helpers.
// A text file's contents; throws naming the file when it cannot be read or is not UTF-8.
std::string read_file_text(const std::string& path);
std::string format_bytes(double bytes);
// "PPL = X +/- Y": the line scripts read from `perplexity` and `eval`.
std::string format_ppl(double ppl, double error);

}  // namespace pareto::cli

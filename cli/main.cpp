// pareto-cli: Pareto's engine, headless — for boards, scripts and CI.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <string>

#include "cli/commands.h"
#include "util/error.h"
#include "util/memory.h"

int main(int argc, char** argv) {
    CLI::App app{"pareto-cli: load, run, measure and compress small language models"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "pareto-cli 0.1.0");
    // Every session is refused before allocation when it would not fit (model/session.h);
    // this overrides the budget for one command, as PARETO_MEMORY_LIMIT does.
    std::string memory_limit;
    app.add_option("--memory-limit", memory_limit,
                   "Memory a model may take: bytes, 512M, 2G, or 'off' (default: MemAvailable; env PARETO_MEMORY_LIMIT)");

    std::map<CLI::App*, pareto::cli::Command> commands;
    auto reg = [&](pareto::cli::Command (*add)(CLI::App&)) {
        const size_t before = app.get_subcommands({}).size();
        pareto::cli::Command run = add(app);
        commands[app.get_subcommands({})[before]] = std::move(run);
    };
    reg(pareto::cli::add_info);
    reg(pareto::cli::add_tokenize);
    reg(pareto::cli::add_run);
    reg(pareto::cli::add_perplexity);
    reg(pareto::cli::add_eval);
    reg(pareto::cli::add_synth);
    reg(pareto::cli::add_bench);
    reg(pareto::cli::add_compress);
    reg(pareto::cli::add_sensitivity);
    reg(pareto::cli::add_profile);
    reg(pareto::cli::add_trace);
    reg(pareto::cli::add_convert);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        if (!memory_limit.empty()) {
            pareto::parse_memory_limit(memory_limit);  // a bad value is an error here, not later
            ::setenv("PARETO_MEMORY_LIMIT", memory_limit.c_str(), 1);
        }
        for (auto& [sub, run] : commands)
            if (sub->parsed()) return run();
    } catch (const pareto::Error& e) {
        std::fflush(stdout);
        std::fprintf(stderr, "pareto-cli: error: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fflush(stdout);
        std::fprintf(stderr, "pareto-cli: unexpected error: %s\n", e.what());
        return 2;
    }
    return 1;
}

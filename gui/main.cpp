// pareto: the Qt Quick workbench. QApplication (not QGuiApplication) because Qt
// Charts in QML draws through the widgets' graphics view.
#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QIcon>
#include <QQmlApplicationEngine>
#include <QQmlContext>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtQml/qqmlextensionplugin.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "gui/app_options.h"
#include "gui/screenshot_driver.h"
#include "gui/workbench.h"

Q_IMPORT_QML_PLUGIN(Pareto_BridgePlugin)
Q_IMPORT_QML_PLUGIN(ParetoPlugin)
Q_IMPORT_QML_PLUGIN(Pareto_ThemePlugin)
Q_IMPORT_QML_PLUGIN(Pareto_StylePlugin)

using namespace pareto::gui;

namespace {

QStringList program_args(int argc, char** argv) {
    QStringList args;
    for (int i = 0; i < argc; ++i) args << QString::fromLocal8Bit(argv[i]);
    return args;
}

}  // namespace

int main(int argc, char** argv) {
    AppOptions options;
    QString help;
    const QString problem = parse_app_options(program_args(argc, argv), options, &help);
    if (!problem.isEmpty()) {
        std::fprintf(stderr, "pareto: %s\n(see pareto --help)\n", qPrintable(problem));
        return 2;
    }
    if (options.help) {
        std::fputs(qPrintable(help), stdout);
        return 0;
    }
    const bool headless = !options.screenshot.isEmpty();
    if (headless) {
        // Screenshots need no display and no GPU: the offscreen platform and Qt
        // Quick's software renderer, unless the caller chose otherwise.
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
        if (qEnvironmentVariableIsEmpty("QT_QUICK_BACKEND")) qputenv("QT_QUICK_BACKEND", "software");
    }

    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("pareto"));
    // No organization: data in ~/.local/share/pareto (settings: see Workbench).
    QApplication::setOrganizationName(QString());
    QApplication::setApplicationVersion(QStringLiteral(PARETO_VERSION));
    if (options.version) {
        std::printf("pareto %s\n", PARETO_VERSION);
        return 0;
    }
    QQuickStyle::setStyle(QStringLiteral("Pareto.Style"));

    // Screenshots neither read nor write the user's settings (reproducible images)
    // and keep demo models in a throwaway folder, unless told otherwise.
    std::unique_ptr<QTemporaryDir> scratch;
    QString settings_file = options.settings;
    if (headless && settings_file.isEmpty()) {
        scratch = std::make_unique<QTemporaryDir>();
        settings_file = scratch->filePath(QStringLiteral("settings.ini"));
    }
    Workbench workbench(settings_file, {});
    workbench.setThreads(options.threads);
    workbench.setKioskMode(options.kiosk);
    if (!options.page.isEmpty()) workbench.setPage(options.page);
    else if (!options.prompt.isEmpty()) workbench.setPage(QStringLiteral("playground"));
    Generator* gen = workbench.generator();
    if (options.n_predict) gen->setNPredict(*options.n_predict);
    if (options.temperature) gen->setTemperature(*options.temperature);
    if (options.seed) {
        gen->setSeed(*options.seed);
        gen->setRandomSeed(false);
    }
    if (!options.prompt.isEmpty()) gen->setDraft(options.prompt);
    ProfileController* profiler = workbench.profiler();
    if (!options.prompt.isEmpty()) profiler->setPrompt(options.prompt);
    if (options.n_predict) profiler->setNTokens(*options.n_predict);
    // Profiles go to the first --trace; screenshots without one write none (the
    // user's default trace is not theirs to grow).
    if (!options.traces.isEmpty()) profiler->setTracePath(options.traces.first());
    else if (headless) profiler->setAppendToTrace(false);
    if (options.kiosk_pause_ms >= 0) workbench.kiosk()->setPauseMs(options.kiosk_pause_ms);
    if (options.ctx > 0) {
        // Applied once the model is open (its maximum is known then).
        QObject::connect(workbench.model(), &ModelController::opened, workbench.model(),
                         [&workbench, ctx = options.ctx] { workbench.model()->setContextLength(ctx); });
    }

    if (options.chat || options.compare) {
        // Once the model is loaded (and handed to the generator: the Workbench's
        // connection comes first): chat mode with its template, or side by side.
        QObject::connect(workbench.model(), &ModelController::modelLoaded, gen, [gen, &workbench, options] {
            if (options.chat) {
                gen->setChatTemplateName(options.chat_template);
                gen->setChatMode(true);
                if (!gen->chatMode())
                    std::fprintf(stderr, "pareto: chat: %s; prompt mode instead\n", qPrintable(gen->chatInfo()));
            }
            if (options.compare) workbench.sideBySide()->setEnabled(true);
        });
    }

    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral("qrc:/"));
    std::unique_ptr<ScreenshotDriver> driver;
    QObject::connect(&engine, &QQmlApplicationEngine::warnings, &engine, [&driver](const QList<QQmlError>& warnings) {
        if (!driver) return;
        for (const QQmlError& w : warnings) driver->addWarning(w.toString());
    });
    engine.setInitialProperties({
        {QStringLiteral("workbench"), QVariant::fromValue(&workbench)},
        {QStringLiteral("width"), options.size.width()},
        {QStringLiteral("height"), options.size.height()},
    });
    engine.load(QUrl(QStringLiteral("qrc:/Pareto/Main.qml")));
    if (engine.rootObjects().isEmpty()) {
        std::fprintf(stderr, "pareto: the user interface failed to load (see the messages above)\n");
        return 1;
    }
    auto* window = qobject_cast<QQuickWindow*>(engine.rootObjects().first());
    if (!window) {
        std::fprintf(stderr, "pareto: Main.qml is not a window\n");
        return 1;
    }

    if (headless) {
        driver = std::make_unique<ScreenshotDriver>(window, &workbench, options);
        driver->start();
    } else if (!options.model.isEmpty() && !options.kiosk) {
        workbench.openModel(options.model, /*load_after=*/true);
        if (!options.page.isEmpty()) workbench.setPage(options.page);  // openModel shows the Model page
    }
    if (options.kiosk) {
        // Unattended: what the loop does also goes to the log (the journal, a soak test).
        KioskController* kiosk = workbench.kiosk();
        QObject::connect(kiosk, &KioskController::recovered, kiosk, [](int errors, const QString& what) {
            std::fprintf(stderr, "pareto kiosk: error %d: %s\n", errors, qPrintable(what));
        });
        QObject::connect(kiosk, &KioskController::cycleFinished, kiosk, [kiosk](int cycles) {
            if (cycles == 1 || cycles % 100 == 0)
                std::fprintf(stderr, "pareto kiosk: %d cycles, %d errors\n", cycles, kiosk->errors());
        });
        kiosk->start(options.model);
        if (!headless && !options.windowed) window->showFullScreen();
    }
    if (!options.traces.isEmpty() && !headless && !options.kiosk) {
        workbench.openTraces(options.traces);
        if (!options.page.isEmpty()) workbench.setPage(options.page);
    }
    if (!options.prompt.isEmpty() && !headless && !options.kiosk) {
        // Interactive: generate (or profile, on the Profile page) once the model is there.
        const bool profile = options.page == QLatin1String("profile");
        QObject::connect(workbench.model(), &ModelController::modelLoaded, gen,
                         [gen, profiler, profile, prompt = options.prompt] {
                             if (profile) profiler->profile();
                             else gen->start(prompt);
                         }, Qt::SingleShotConnection);
    }
    return QApplication::exec();
}

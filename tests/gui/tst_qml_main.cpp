// Qt Quick Test runner for the workbench's QML (tests/gui/qml/tst_*.qml): the app's
// QML modules as static plugins, its style, offscreen and software-rendered, with
// settings and data folders of its own.
#include <QApplication>
#include <QQmlContext>
#include <QQmlEngine>
#include <QQuickStyle>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtQml/qqmlextensionplugin.h>
#include <QtQuickTest/quicktest.h>

#include "support/test_data.h"

Q_IMPORT_QML_PLUGIN(Pareto_BridgePlugin)
Q_IMPORT_QML_PLUGIN(ParetoPlugin)
Q_IMPORT_QML_PLUGIN(Pareto_ThemePlugin)
Q_IMPORT_QML_PLUGIN(Pareto_StylePlugin)

class Setup : public QObject {
    Q_OBJECT
public slots:
    void qmlEngineAvailable(QQmlEngine* engine) {
        engine->addImportPath(QStringLiteral("qrc:/"));
        // Fixtures, as the C++ tests find them: "" when absent.
        const std::string model = pareto::test::find_data("models/stories260K.gguf");
        engine->rootContext()->setContextProperty(QStringLiteral("storiesModel"), QString::fromStdString(model));
        engine->rootContext()->setContextProperty(QStringLiteral("requireData"), pareto::test::running_in_ci());
    }
};

int main(int argc, char** argv) {
    // The Workbench objects the tests create read and write settings: not the user's.
    QTemporaryDir home;
    qputenv("XDG_CONFIG_HOME", home.filePath(QStringLiteral("config")).toLocal8Bit());
    qputenv("XDG_DATA_HOME", home.filePath(QStringLiteral("data")).toLocal8Bit());
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    if (qEnvironmentVariableIsEmpty("QT_QUICK_BACKEND")) qputenv("QT_QUICK_BACKEND", "software");
    QApplication app(argc, argv);  // Qt Charts in QML needs it, as in the app
    QQuickStyle::setStyle(QStringLiteral("Pareto.Style"));
    Setup setup;
    return quick_test_main_with_setup(argc, argv, "pareto_qml", PARETO_QML_TEST_DIR, &setup);
}

#include "tst_qml_main.moc"

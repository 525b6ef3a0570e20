import QtQuick
import QtQuick.Controls
import QtQuick.Dialogs
import Pareto.Bridge
import Pareto.Theme

// The window: the workbench (sidebar, pages, status bar) or, in kiosk mode, the
// full-screen demo.
ApplicationWindow {
    id: window
    required property Workbench workbench

    visible: true
    minimumWidth: 960
    minimumHeight: 600
    title: workbench.model.hasInfo ? "Pareto — " + workbench.model.displayName : "Pareto"
    color: Theme.bg
    font.pixelSize: Theme.fontMd

    // Colours that controls outside Pareto.Style (dialogs, menus) take from the palette.
    palette.window: Theme.bg
    palette.base: Theme.surfaceRaised
    palette.button: Theme.surfaceRaised
    palette.text: Theme.text
    palette.windowText: Theme.text
    palette.buttonText: Theme.text
    palette.highlight: Theme.accent
    palette.highlightedText: Theme.bg
    palette.mid: Theme.border
    palette.dark: Theme.textDim

    Loader {
        id: view
        objectName: window.workbench.kioskMode ? "kioskLoader" : "workbenchLoader"
        anchors.fill: parent
        sourceComponent: window.workbench.kioskMode ? kiosk : desktop
    }
    Component {
        id: desktop
        WorkbenchView { workbench: window.workbench }
    }
    Component {
        id: kiosk
        KioskView { workbench: window.workbench }
    }

    // A file dropped anywhere opens it: a model on the Model page, traces on the Runs page.
    DropArea {
        id: drop
        anchors.fill: parent
        enabled: !window.workbench.kioskMode
        keys: ["text/uri-list"]
        onDropped: (event) => {
            if (event.hasUrls && event.urls.length > 0) {
                const first = event.urls[0].toString()
                if (/\.(h5|hdf5)$/i.test(first)) window.workbench.openTraces(event.urls)
                else window.workbench.openModel(first, false)
                event.acceptProposedAction()
            }
        }
    }
    Rectangle {
        anchors.fill: parent
        visible: drop.containsDrag
        color: Qt.rgba(0.05, 0.06, 0.09, 0.85)
        border.color: Theme.accent
        border.width: 2
        Column {
            anchors.centerIn: parent
            spacing: 12
            Icon { anchors.horizontalCenter: parent.horizontalCenter; name: "upload"; size: 48; color: Theme.accent }
            Text { text: qsTr("Drop to open a model or a trace"); color: Theme.text; font.pixelSize: Theme.fontXl }
        }
    }

    ToastHost {
        id: toasts
        anchors { right: parent.right; bottom: parent.bottom; rightMargin: 20; bottomMargin: 44 }
        z: 10
    }
    Connections {
        target: window.workbench
        function onNotification(message, error) { toasts.show(message, error) }
    }

    FileDialog {
        id: openDialog
        title: qsTr("Open a GGUF model")
        nameFilters: [qsTr("GGUF models (*.gguf)"), qsTr("All files (*)")]
        onAccepted: window.workbench.openModel(selectedFile.toString(), false)
    }
    Shortcut {
        sequences: [StandardKey.Open]
        enabled: !window.workbench.kioskMode && !window.workbench.model.busy
        onActivated: openDialog.open()
    }
    Shortcut {  // the kiosk has no window chrome: Escape leaves full screen
        sequence: "Escape"
        enabled: window.workbench.kioskMode && window.visibility === Window.FullScreen
        onActivated: window.showNormal()
    }
    Shortcut {
        sequences: [StandardKey.Quit]
        onActivated: Qt.quit()
    }
}

import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import QtQuick.Dialogs
import Pareto.Bridge
import Pareto.Theme

// Runs: the runs of the open HDF5 traces in one table, two of them compared per op
// kind and per layer, and the models they measured as size against speed and
// perplexity, with the Pareto front marked.
Item {
    id: root
    required property Workbench workbench
    readonly property RunsController rc: workbench.traces
    objectName: "runsPage"

    FileDialog {
        id: openDialog
        title: qsTr("Open traces")
        fileMode: FileDialog.OpenFiles
        nameFilters: [qsTr("Pareto traces (*.h5 *.hdf5)"), qsTr("All files (*)")]
        onAccepted: root.rc.open(selectedFiles)
    }

    ColumnLayout {
        anchors { fill: parent; margins: 24; topMargin: 20 }
        spacing: Theme.gap + 2

        RowLayout {
            Layout.fillWidth: true
            spacing: 10
            Text { text: qsTr("Runs"); color: Theme.text; font.pixelSize: 22; font.weight: Font.DemiBold }
            Repeater {
                model: root.rc.files
                Chip {
                    required property string modelData
                    objectName: "traceChip"
                    text: modelData.substring(modelData.lastIndexOf("/") + 1)
                    icon: "runs"
                    tint: Theme.accent
                    ToolTip.visible: chipHover.containsMouse
                    ToolTip.text: modelData + "\n" + qsTr("click to close")
                    MouseArea { id: chipHover; anchors.fill: parent; hoverEnabled: true; onClicked: root.rc.close(parent.modelData) }
                }
            }
            BusyIndicator { visible: root.rc.busy; running: visible; implicitWidth: 22; implicitHeight: 22 }
            Item { Layout.fillWidth: true }
            ComboBox {
                objectName: "recentTraces"
                visible: root.rc.recent.length > 0
                Layout.preferredWidth: 220
                model: [qsTr("Recent traces…")].concat(root.rc.recent.map(p => p.substring(p.lastIndexOf("/") + 1)))
                onActivated: (i) => { if (i > 0) root.rc.open(root.rc.recent[i - 1]); currentIndex = 0 }
            }
            Button {
                objectName: "openTracesButton"
                text: qsTr("Open traces…")
                highlighted: root.rc.files.length === 0
                onClicked: openDialog.open()
            }
        }

        Banner {
            Layout.fillWidth: true
            text: root.rc.error
            onClosed: root.rc.clearError()
        }

        EmptyState {
            Layout.fillWidth: true
            Layout.fillHeight: true
            visible: root.rc.runs.count === 0
            icon: "runs"
            title: qsTr("No trace open")
            text: qsTr("Open one or more HDF5 traces (or drop them here): the runs they hold are listed, two can be compared op by op, and the models they measured are placed by size, speed and perplexity. Profiles from the Profile page and from pareto-cli profile --trace and eval --trace are stored in traces.")
            actionText: qsTr("Open traces…")
            onAction: openDialog.open()
        }

        RunsTableCard {
            Layout.fillWidth: true
            Layout.preferredHeight: Math.min(300, 92 + 28 * root.rc.runs.count)
            visible: root.rc.runs.count > 0
            rc: root.rc
        }

        RowLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            visible: root.rc.runs.count > 0
            spacing: Theme.gap + 2
            CompareCard {
                Layout.fillWidth: true
                Layout.fillHeight: true
                Layout.preferredWidth: 6
                rc: root.rc
            }
            TradeoffCard {
                Layout.fillWidth: true
                Layout.fillHeight: true
                Layout.preferredWidth: 4
                rc: root.rc
            }
        }
    }
}

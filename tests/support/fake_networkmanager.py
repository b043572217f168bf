#!/usr/bin/env python3
"""A stand-in for NetworkManager on a private D-Bus bus, for the agent's tests: it owns
org.freedesktop.NetworkManager and answers the Metered property (NMMetered: 1 yes, 2 no) with the
number written in the file given as the first argument, read at every call, so a test switches the
network between metered and unmetered by rewriting that file."""
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

STATE_FILE = sys.argv[1]
IFACE = "org.freedesktop.NetworkManager"


class NetworkManager(dbus.service.Object):
    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="ss", out_signature="v")
    def Get(self, interface, name):
        if interface == IFACE and name == "Metered":
            with open(STATE_FILE) as f:
                return dbus.UInt32(int(f.read().strip() or "0"))
        raise dbus.exceptions.DBusException("org.freedesktop.DBus.Error.UnknownProperty", name)


dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.bus.BusConnection(sys.argv[2])
name = dbus.service.BusName(IFACE, bus)
NetworkManager(bus, "/org/freedesktop/NetworkManager")
print("ready", flush=True)
GLib.MainLoop().run()

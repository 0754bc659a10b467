{
  "targets": [
    {
      "target_name": "nids_pcap",
      "sources": ["src/capture.c"],
      "libraries": ["-lpcap", "-lpthread"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-std=gnu11"]
    }
  ]
}

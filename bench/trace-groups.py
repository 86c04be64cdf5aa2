#!/usr/bin/env python3
"""Sums a dotnet-trace sampled profile (speedscope JSON, as bench/ivr-load.sh IVR_LOAD_TRACE=1 writes it) by component.

EventPipe's sample profiler samples every managed thread, waiting or not, and marks each sample CPU_TIME (in managed code)
or UNMANAGED_CODE_TIME. Samples of threads parked in the thread pool, epoll, locks or GC suspension are dropped as idle;
native work under managed frames (OpenSSL, syscalls) is listed apart. Each remaining sample goes to the innermost frame that
matches a component (so Npgsql under EF Core counts as Npgsql); "incl" is the share of samples with the component anywhere.

  bench/trace-groups.py .local/ivr-load/server.speedscope.json [top frames, default 30]
"""
import collections
import json
import re
import sys

COMPONENTS = [
    ('signature check', r'TwilioSignatureFilter|Twilio\.Security|HMAC|HashProvider|Interop\+Crypto\.Hmac'),
    ('form parsing', r'FormReader|FormFeature|FormCollection|FormPipeReader'),
    ('IVR session state (JSON, AES-GCM, store)', r'IvrSessionStore|AesGcm|IvrCallState|IvrStateJson'),
    ('Redis client', r'StackExchange\.Redis'),
    ('EF Core', r'EntityFrameworkCore'),
    ('Npgsql', r'Npgsql'),
    ('call-log writer and spool', r'CallEventWriter|CallLogSpool|CallEventPayload'),
    ('TwiML writing', r'TwimlRenderer|Twilio\.TwiML|System\.Xml|Twiml'),
    ('IVR interpreter', r'CallCenter\.Core\.Ivr|IvrFlowCatalog|EmergencyAnnouncement'),
    ('ACD', r'Routing\.Acd|CallCenter\.Core\.Routing'),
    ('logging', r'Microsoft\.Extensions\.Logging|OpenTelemetry\.Logs|LoggerMessage'),
    ('OpenTelemetry, metrics, activities', r'OpenTelemetry|System\.Diagnostics\.Metrics|System\.Diagnostics\.Activity|HostingApplicationDiagnostics|DiagnosticListener'),
    ('webhook handlers (own code)', r'IvrWebhooks|IvrCallHandler|TwilioVoiceApi|VoiceWebhookForm'),
    ('other server code', r'CallCenter\.'),
    ('routing, middleware, endpoint, DI', r'Microsoft\.AspNetCore\.Routing|RequestDelegateFactory|Microsoft\.AspNetCore\.Http|Microsoft\.AspNetCore\.Builder|Middleware|EndpointFilter|Microsoft\.AspNetCore\.Hosting|DependencyInjection'),
    ('Kestrel, HTTP parsing', r'Kestrel|System\.IO\.Pipelines'),
]
GENERIC = [('sockets', r'System\.Net\.Sockets'), ('JSON (other)', r'System\.Text\.Json'), ('thread pool, async, timers', r'System\.Threading')]
IDLE = re.compile(r'WaitForSignal|WaitOneNoCheck|WaitHandle\.WaitOne|PollGC|WorkerThreadStart\(|MaybeAddWorkingWorker|Monitor\.Wait'
                  r'|SpinWait|Enter_Slowpath|TryEnterSlow|TryEnter_Slowpath|EventLoop')
WAIT = re.compile(r'Wait|EventLoop|Sleep|SocketAsyncEngine|Monitor\.|Semaphore|Heartbeat|ReadAsync|Accept|PollInternal|Lock\.TryEnterSlow|Interop\+Sys\.Read')


def main():
    data = json.load(open(sys.argv[1]))
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    frames = [f['name'] for f in data['shared']['frames']]
    stacks = collections.Counter()
    for profile in data['profiles']:
        stack, last = [], None
        for e in profile['events']:
            if last is not None and stack:
                stacks[tuple(stack)] += e['at'] - last
            last = e['at']
            if e['type'] == 'O':
                stack.append(e['frame'])
            elif e['frame'] in stack:
                del stack[len(stack) - 1 - stack[::-1].index(e['frame']):]

    def component(stack, rules):
        for f in reversed(stack):
            for name, rx in rules:
                if re.search(rx, frames[f]):
                    return name
        return None

    own, incl, leaf, native = collections.Counter(), collections.Counter(), collections.Counter(), collections.Counter()
    for stack, t in stacks.items():
        kind = frames[stack[-1]]
        body = tuple(f for f in stack[:-1] if '!' in frames[f])  # drop the process/thread pseudo-frames
        if not body:
            continue
        if kind == 'CPU_TIME':
            if IDLE.search(frames[body[-1]]) or (frames[body[-1]] == '?!?' and len(body) > 1 and 'EventLoop' in frames[body[-2]]):
                continue
            own[component(body, COMPONENTS) or component(body, GENERIC) or 'other'] += t
            for name, rx in COMPONENTS + GENERIC:
                if any(re.search(rx, frames[f]) for f in body):
                    incl[name] += t
            leaf[frames[body[-1]]] += t
        elif kind == 'UNMANAGED_CODE_TIME' and not WAIT.search(frames[body[-1]]):
            native[frames[body[-1]]] += t
    total = sum(own.values())
    print(f"managed samples on a CPU: {total / 1000:.1f} s; native code under managed frames (not waits): {sum(native.values()) / 1000:.1f} s")
    print("component (innermost match)      own   incl")
    for name, t in own.most_common():
        print(f"  {name:<40} {t / total * 100:5.1f}% {incl[name] / total * 100:5.1f}%")
    print("top frames (exclusive)")
    for name, t in leaf.most_common(top):
        print(f"  {t / total * 100:5.2f}% {name[:160]}")
    print("native code under managed frames (exclusive)")
    for name, t in native.most_common(10):
        print(f"  {t / 1000:6.2f} s {name[:160]}")


if __name__ == '__main__':
    main()

import { useEffect, useRef } from 'react';
import type { Attempt, Checkpoint, HistoryEvent } from '../api/types';
import { Loaded } from '../components/states';
import { StatusBadge } from '../components/widgets';
import { bytes, dateTime, time } from '../lib/format';
import type { Resource } from '../lib/use-resource';

export function EventLog({ events }: { events: HistoryEvent[] }) {
  const box = useRef<HTMLOListElement>(null);
  const follow = useRef(true);
  useEffect(() => {
    const list = box.current;
    if (list !== null && follow.current) list.scrollTop = list.scrollHeight;
  }, [events]);
  return (
    <>
      <h2>Events</h2>
      {events.length === 0 ? (
        <p className="muted">No events yet.</p>
      ) : (
        <ol
          className="events scroll"
          ref={box}
          tabIndex={0}
          aria-label="Job events"
          onScroll={(e) => {
            const el = e.currentTarget;
            follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
          }}
        >
          {events.map((e) => (
            <li key={e.id} data-type={e.type}>
              <time dateTime={e.createdAt}>{time(e.createdAt)}</time> <span className="tag">{e.type}</span> {e.message}
            </li>
          ))}
        </ol>
      )}
    </>
  );
}

export function Checkpoints({ resource }: { resource: Resource<{ checkpoints: Checkpoint[] }> }) {
  return (
    <>
      <h2>Checkpoints</h2>
      <Loaded resource={resource} what="checkpoints">
        {({ checkpoints }) =>
          checkpoints.length === 0 ? (
            <p className="muted">None yet: a checkpoint is written every few steps while the job runs.</p>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col" className="num">
                      Step
                    </th>
                    <th scope="col" className="num">
                      Epoch
                    </th>
                    <th scope="col" className="num">
                      Attempt
                    </th>
                    <th scope="col" className="num">
                      Size
                    </th>
                    <th scope="col">Written</th>
                    <th scope="col">File</th>
                  </tr>
                </thead>
                <tbody>
                  {checkpoints.map((c) => (
                    <tr key={c.id}>
                      <td className="num">{c.step}</td>
                      <td className="num">{c.epoch}</td>
                      <td className="num">{c.attempt}</td>
                      <td className="num">{bytes(c.sizeBytes)}</td>
                      <td>{dateTime(c.createdAt)}</td>
                      <td>
                        <a href={c.downloadUrl} download>
                          Download
                        </a>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
    </>
  );
}

export function Attempts({ attempts }: { attempts: Attempt[] }) {
  return (
    <>
      <h2>Attempts</h2>
      {attempts.length === 0 ? (
        <p className="muted">Not started yet: the job waits for a worker with the right accelerator.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Status</th>
                <th scope="col">Steps</th>
                <th scope="col">Worker</th>
                <th scope="col">Backend</th>
                <th scope="col">Started</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {attempts.map((a) => (
                <tr key={a.number}>
                  <td>{a.number}</td>
                  <td>
                    <StatusBadge status={a.status} />
                  </td>
                  <td>
                    {a.startStep}–{a.endStep ?? '…'}
                  </td>
                  <td>{a.workerId ?? '—'}</td>
                  <td>{a.backend ?? '—'}</td>
                  <td>{dateTime(a.startedAt)}</td>
                  <td>{a.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

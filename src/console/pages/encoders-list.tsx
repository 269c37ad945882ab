import type { Encoder } from '../api/types';
import { Empty, Loaded } from '../components/states';
import { useApi } from '../lib/auth';
import { bytes, dateTime, percent, shortId } from '../lib/format';
import { Link, useTitle } from '../lib/router';
import { useResource } from '../lib/use-resource';

export function knnTop1(encoder: Encoder): number | null {
  return encoder.evaluations.find((e) => e.kind === 'KNN' && e.status === 'SUCCEEDED')?.top1 ?? null;
}

export function EncodersList() {
  useTitle('Encoders');
  const api = useApi();
  const encoders = useResource(
    (signal) => api.get<{ encoders: Encoder[]; nextCursor: string | null }>('/v1/encoders', { limit: 200 }, signal),
    [api],
  );
  return (
    <section>
      <h1>Encoders</h1>
      <Loaded resource={encoders} what="encoders">
        {({ encoders: list }) =>
          list.length === 0 ? (
            <Empty title="No encoders yet">
              <p>
                Every job that succeeds leaves a frozen encoder here. <Link to="/jobs/new">Start a job</Link>.
              </p>
            </Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Encoder</th>
                    <th scope="col">Architecture</th>
                    <th scope="col" className="num">
                      Dim
                    </th>
                    <th scope="col" className="num">
                      Input
                    </th>
                    <th scope="col" className="num">
                      kNN top-1
                    </th>
                    <th scope="col" className="num">
                      Size
                    </th>
                    <th scope="col">Job</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((e) => (
                    <tr key={e.id}>
                      <td>
                        <Link to={`/encoders/${e.id}`}>{e.name}</Link>
                      </td>
                      <td>{e.architecture}</td>
                      <td className="num">{e.embeddingDim}</td>
                      <td className="num">{e.inputSize} px</td>
                      <td className="num">{percent(knnTop1(e))}</td>
                      <td className="num">{bytes(e.sizeBytes)}</td>
                      <td>
                        <Link to={`/jobs/${e.jobId}`}>{shortId(e.jobId)}</Link>
                      </td>
                      <td>{dateTime(e.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
    </section>
  );
}

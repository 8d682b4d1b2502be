import { QueryKey, useMutation, useQueryClient, UseQueryResult } from '@tanstack/react-query';
import { Key, ReactNode } from 'react';
import { dataOrThrow } from '../api/client';
import { ConfirmButton } from './confirm-button';
import { Empty, ErrorMessage, Loading, TableRegion } from './states';

export interface Column<Row> {
  heading: string;
  cell: (row: Row) => ReactNode;
}

/** The words of a row's removal button and of the question it asks first (see ConfirmButton). */
export interface RemovalWords {
  label: string;
  name: string;
  question: string;
}

interface RemovableRowsProps<Row extends { id: Key }> {
  rows: UseQueryResult<Row[]>;
  /** "the feeds": said while they load. */
  loading: string;
  empty: ReactNode;
  /** The table's name, for keyboard users scrolling it sideways. */
  label: string;
  columns: Array<Column<Row>>;
  /** On a phone each row becomes a card, each cell under its heading (styles.css, `table.stack`). */
  stacked?: boolean;
  /** Buttons of a row shown before its removal button. */
  otherActions?: (row: Row) => ReactNode;
  removal: (row: Row) => RemovalWords;
  /** The API call; a refusal is thrown and shown above the table. */
  remove: (row: Row) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
  /** Read again once a row is removed: the list, and whatever else the removal changes. */
  refresh: QueryKey;
  onRemoving?: () => void;
  onRemoved: (row: Row) => void;
}

/**
 * The listing of an admin page whose rows are removed one at a time behind a question (a ban lifted, a key
 * revoked): its loading, failure and empty states, the table with an actions column, and the removal, whose
 * button stays disabled while one runs so a second click cannot remove a row twice.
 */
export function RemovableRows<Row extends { id: Key }>({
  rows,
  loading,
  empty,
  label,
  columns,
  stacked,
  otherActions,
  removal,
  remove,
  refresh,
  onRemoving,
  onRemoved,
}: RemovableRowsProps<Row>) {
  const queryClient = useQueryClient();
  const removing = useMutation({
    mutationFn: async (row: Row) => {
      const result = await remove(row);
      if (!result.response.ok) dataOrThrow(result);
      return row;
    },
    onMutate: onRemoving,
    onSuccess: (row) => {
      onRemoved(row);
      void queryClient.invalidateQueries({ queryKey: refresh });
    },
  });

  const rowOf = (row: Row) => (
    <tr key={row.id}>
      {columns.map((column) => (
        <td key={column.heading} data-label={stacked ? column.heading : undefined}>
          {column.cell(row)}
        </td>
      ))}
      <td className={stacked ? 'actions' : undefined}>
        {otherActions?.(row)}
        <ConfirmButton {...removal(row)} disabled={removing.isPending} onConfirm={() => removing.mutate(row)} />
      </td>
    </tr>
  );

  return (
    <>
      {removing.isError && <ErrorMessage error={removing.error} />}
      {rows.isPending && <Loading what={loading} />}
      {rows.isError && <ErrorMessage error={rows.error} />}
      {rows.data && rows.data.length === 0 && <Empty>{empty}</Empty>}
      {rows.data && rows.data.length > 0 && (
        <TableRegion label={label}>
          <table className={stacked ? 'stack' : undefined}>
            <thead>
              <tr>
                {columns.map((column) => (
                  <th key={column.heading} scope="col">
                    {column.heading}
                  </th>
                ))}
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>{rows.data.map(rowOf)}</tbody>
          </table>
        </TableRegion>
      )}
    </>
  );
}

/**
 * The endless source 0, 1, 2, … counting how many it gave and whether it was closed: what the tests of a
 * map-reduce abandoned mid-way (a `break`, an error) judge, since an abandoned operation must stop pulling and
 * close its source.
 */
export class CountedNaturals implements Iterable<number> {
  pulled = 0;
  closed = false;

  *[Symbol.iterator](): Generator<number> {
    try {
      for (let i = 0; ; i++) {
        this.pulled++;
        yield i;
      }
    } finally {
      this.closed = true;
    }
  }
}
